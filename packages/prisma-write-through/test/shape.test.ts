/**
 * The shape fingerprint of a cached entity (src/shape.ts), from the metadata
 * the generator builds out of real schemas: the storefront's
 * prisma/schema.prisma as it is, and migrated copies of it (a field added,
 * renamed, dropped or retyped), as `prisma generate` would see them after
 * each migration. It must change exactly when what an entity caches changes.
 */
import { readFileSync } from 'node:fs';
import internals from '@prisma/internals';
import { beforeAll, describe, expect, it } from 'vitest';
import { entityShape, shapeFingerprint, shapeFingerprints, type CachedEntity, type EntityMetadata } from '../src/index.js';
import { buildEntityMetadata, parseGeneratorConfig } from '../src/generator/index.js';
import { storefrontSchema } from './support.js';

const schema = readFileSync(storefrontSchema, 'utf8');

/** The metadata `prisma generate` would emit for `datamodel` (its `entities` generator block's settings). */
async function metadataOf(datamodel: string): Promise<EntityMetadata> {
  const config = await internals.getConfig({ datamodel });
  const block = config.generators.find((g) => g.name === 'entities')!;
  const dmmf = await internals.getDMMF({ datamodel });
  return buildEntityMetadata(dmmf.datamodel, { ...parseGeneratorConfig(block.config), provider: config.datasources[0]?.activeProvider });
}

/** The schema with one line of a model replaced (`from` must occur exactly once in that model). */
function migrate(model: string, from: string, to: string): string {
  const start = schema.indexOf(`model ${model} {`);
  const end = schema.indexOf('\n}', start);
  const body = schema.slice(start, end);
  if (start < 0 || body.split(from).length !== 2) throw new Error(`model ${model} does not contain ${JSON.stringify(from)} exactly once`);
  return schema.slice(0, start) + body.replace(from, to) + schema.slice(end);
}

const load = async () => [];
// As the storefront configured them (src/db/entities.ts) before User gained its sessions as
// members, load aside: a one-row entity with `row.omit`, an aggregate, and a plain row.
const entities = {
  User: { model: 'User', row: { omit: ['passwordHash'] }, load },
  Product: { model: 'Product', row: {}, load },
  Cart: { model: 'Cart', idField: 'userId', members: { CartItem: 'cartId' }, load },
} satisfies Record<string, CachedEntity>;

let base: Record<string, string>;
let baseMeta: EntityMetadata;

beforeAll(async () => {
  baseMeta = await metadataOf(schema);
  base = shapeFingerprints(entities, baseMeta);
});

/** The fingerprints after a migration. */
const after = async (datamodel: string) => shapeFingerprints(entities, await metadataOf(datamodel));

describe('shape fingerprints', () => {
  it('are 8 hex characters, one per entity, all different, and the same for the same schema', async () => {
    for (const fp of Object.values(base)) expect(fp).toMatch(/^[0-9a-f]{8}$/);
    expect(new Set(Object.values(base)).size).toBe(3);
    expect(await after(schema)).toEqual(base);
  });

  it('describe what is cached: the scalar fields with their types, minus row.omit', () => {
    const product = JSON.parse(entityShape(entities.Product, baseMeta));
    expect(product).toMatchObject({ model: 'Product', members: [], version: null });
    expect(product.fields).toContain('priceCents:scalar:Int!');
    expect(product.fields).toContain('createdAt:scalar:DateTime!');
    expect(product.fields.some((f: string) => f.startsWith('cartItems'))).toBe(false); // relations are not cached
    const user = JSON.parse(entityShape(entities.User, baseMeta));
    expect(user.fields).toContain('role:enum:Role!');
    expect(user.fields.some((f: string) => f.startsWith('passwordHash'))).toBe(false);
    const cart = JSON.parse(entityShape(entities.Cart, baseMeta));
    expect(cart.members).toEqual([{ model: 'CartItem', via: 'cartId', fields: expect.arrayContaining(['quantity:scalar:Int!']) }]);
  });

  it.each([
    [
      'a field added',
      migrate('Product', '  stock       Int         @default(0)\n', '  stock       Int         @default(0)\n  weightGrams Int         @default(0)\n'),
    ],
    ['a field renamed', migrate('Product', '  stock       Int         @default(0)\n', '  inStock     Int         @default(0)\n')],
    [
      'a field renamed, its column kept (@map)',
      migrate('Product', '  stock       Int         @default(0)\n', '  inStock     Int         @default(0) @map("stock")\n'),
    ],
    ['a field dropped', migrate('Product', '  description String      @default("")\n', '')],
    ['a field retyped', migrate('Product', '  stock       Int         @default(0)\n', '  stock       BigInt      @default(0)\n')],
    ['a field made optional', migrate('Product', '  description String      @default("")\n', '  description String?\n')],
    [
      'a native type changed',
      migrate('Product', '  createdAt   DateTime    @default(now())\n', '  createdAt   DateTime    @default(now()) @db.Timestamptz(3)\n'),
    ],
  ])('change with %s on the model, for that entity only', async (_, migrated) => {
    const fps = await after(migrated);
    expect(fps.Product).not.toBe(base.Product);
    expect(fps.User).toBe(base.User);
    expect(fps.Cart).toBe(base.Cart);
  });

  it("change an aggregate's with a field of one of its member models, and no other's", async () => {
    const fps = await after(migrate('CartItem', '  quantity  Int\n', '  quantity  Int\n  note      String?\n'));
    expect(fps.Cart).not.toBe(base.Cart);
    expect(fps.Product).toBe(base.Product);
    expect(fps.User).toBe(base.User);
  });

  it('stay the same when uncached models, relations, column names, defaults or omitted fields change', async () => {
    const unrelated = migrate('Order', '  totalCents BigInt\n', '  totalCents BigInt\n  note       String?\n');
    expect(await after(unrelated)).toEqual(base);
    const mapped = migrate('Product', '  name        String\n', '  name        String @map("product_name")\n');
    expect(await after(mapped)).toEqual(base);
    const defaulted = migrate('Product', '  stock       Int         @default(0)\n', '  stock       Int         @default(5)\n');
    expect(await after(defaulted)).toEqual(base);
    const omitted = migrate('User', '  passwordHash String\n', '  passwordHash Bytes\n');
    expect(await after(omitted)).toEqual(base);
  });

  it('change with shapeVersion (a `load` that caches something else), and with the fields row.omit leaves out', () => {
    expect(shapeFingerprint({ ...entities.Product, shapeVersion: '2' }, baseMeta)).not.toBe(base.Product);
    expect(shapeFingerprint({ ...entities.Product, shapeVersion: '2' }, baseMeta)).toBe(shapeFingerprint({ ...entities.Product, shapeVersion: '2' }, baseMeta));
    expect(shapeFingerprint({ ...entities.User, row: { omit: [] } }, baseMeta)).not.toBe(base.User);
    // Whether the write path reads a one-row entity back or not does not change what is cached.
    expect(shapeFingerprint({ model: 'Product', load }, baseMeta)).toBe(base.Product);
  });

  it('refuse a model that is not in the schema, naming the entity', () => {
    expect(() => shapeFingerprint({ model: 'Thing', load }, baseMeta, 'Gadget')).toThrow('Gadget: model Thing is not in the schema');
  });
});
