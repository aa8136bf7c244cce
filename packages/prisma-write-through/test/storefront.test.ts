/**
 * The generator's pure part on this repository's own schema
 * (prisma/schema.prisma), with the settings of its `entities` generator block.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildEntityMetadata, renderEntityModule, GENERATOR_VERSION, type EntityMetadata } from '../src/generator/index.js';
import { dmmfOf, optionsOf, repoRoot, storefrontSchema } from './support.js';

let meta: EntityMetadata;

beforeAll(async () => {
  meta = buildEntityMetadata((await dmmfOf(storefrontSchema)).datamodel, await optionsOf(storefrontSchema, 'entities'));
});

describe('the storefront schema', () => {
  it('has every model, sorted', () => {
    expect(Object.keys(meta.models)).toEqual(['CacheEpoch', 'CacheOutbox', 'Cart', 'CartItem', 'Order', 'OrderItem', 'Product', 'Session', 'User']);
    expect(Object.keys(meta.cascades)).toEqual(Object.keys(meta.models));
  });

  it("keys Cart by its user's id, whose column is userId", () => {
    const cart = meta.models.Cart!;
    expect(cart.dbName).toBe('Cart');
    expect(cart.idField).toEqual({ name: 'userId', column: 'userId', type: 'Int', source: 'id' });
    expect(cart.primaryKey).toEqual(['userId']);
    expect(cart.versionField).toEqual({ name: 'version', column: 'version', type: 'Int' });
    expect(cart.cacheable).toBe(true);
    expect(cart.relations.user).toMatchObject({
      model: 'User',
      foreignKeyHolder: 'this',
      relationFromFields: ['userId'],
      relationToFields: ['id'],
      relationOnDelete: 'Cascade',
      onDelete: 'Cascade',
    });
    // The back side describes the same foreign key.
    expect(meta.models.User!.relations.cart).toMatchObject({
      model: 'Cart',
      foreignKeyHolder: 'related',
      relationFromFields: ['userId'],
      relationToFields: ['id'],
      onDelete: 'Cascade',
    });
  });

  it('marks the cacheable models: the three with a version field and a single id', () => {
    const cacheable = Object.values(meta.models)
      .filter((m) => m.cacheable)
      .map((m) => m.name);
    expect(cacheable).toEqual(['Cart', 'Product', 'User']);
    expect(meta.models.CartItem!.idField).toBeNull();
    expect(meta.models.CartItem!.primaryKey).toEqual(['cartId', 'productId']);
    expect(meta.models.CartItem!.notCacheableReason).toMatch(/composite \(cartId, productId\).*no version field version/);
    expect(meta.models.CacheOutbox!.notCacheableReason).toBe('CacheOutbox is not cacheable: no version field version');
  });

  it('derives the User → Cart → CartItem cascade (the one src/db/entities.ts declares by hand), and User → Session', () => {
    const user = meta.cascades.User!;
    expect(user.deletes).toEqual(['Cart', 'CartItem', 'Session']);
    const toCart = user.paths.find((p) => p.model === 'Cart')!;
    expect(toCart.action).toBe('delete');
    expect(toCart.path).toEqual([
      {
        model: 'Cart',
        relation: 'user',
        relationName: 'CartToUser',
        references: 'User',
        fields: ['userId'],
        columns: ['userId'],
        referencedFields: ['id'],
        referencedColumns: ['id'],
        onDelete: 'Cascade',
      },
    ]);
    const toItems = user.paths.find((p) => p.model === 'CartItem')!;
    expect(toItems.path.map((s) => `${s.references}→${s.model}.${s.relation}`)).toEqual(['User→Cart.user', 'Cart→CartItem.cart']);
    // Order.user is onDelete: Restrict: a user with orders cannot be deleted.
    expect(user.restrictedBy).toEqual(['Order']);
    expect(user.paths.find((p) => p.model === 'Order')).toMatchObject({ action: 'restrict' });
  });

  it('derives the Product → CartItem cascade and the OrderItem SetNull', () => {
    const product = meta.cascades.Product!;
    expect(product.deletes).toEqual(['CartItem']);
    expect(product.updates).toEqual(['OrderItem']);
    expect(product.paths.map((p) => [p.model, p.action, p.path.map((s) => s.fields.join())])).toEqual([
      ['CartItem', 'delete', ['productId']],
      ['OrderItem', 'setNull', ['productId']],
    ]);
    expect(meta.cascades.Order!.deletes).toEqual(['OrderItem']);
    expect(meta.cascades.CartItem!.paths).toEqual([]);
  });

  it('reads native types', () => {
    expect(meta.models.CacheEpoch!.fields.startedAt).toMatchObject({ type: 'DateTime', nativeType: 'Timestamptz(3)', hasDefaultValue: true });
    expect(meta.models.User!.fields.updatedAt!.isUpdatedAt).toBe(true);
    expect(meta.models.User!.fields.role).toMatchObject({ kind: 'enum', type: 'Role' });
  });

  it('src/generated/entities.ts is what the generator emits for the current schema', () => {
    const committed = readFileSync(path.join(repoRoot, 'src', 'generated', 'entities.ts'), 'utf8');
    expect(committed).toBe(renderEntityModule(meta, { generatorVersion: GENERATOR_VERSION }));
  });
});
