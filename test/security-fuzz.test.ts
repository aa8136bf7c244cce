/**
 * Fuzz: thousands of generated requests, from a seeded generator (set
 * FUZZ_SEED to replay one run, FUZZ_REQUESTS to run more): documents built
 * from the schema with arguments right and wrong (wrong types, huge strings,
 * negative and overflowing numbers, unknown ids, malformed global ids),
 * inline or as variables (sometimes declared with the wrong type), as any of
 * four callers; the same documents mangled; and malformed HTTP requests.
 *
 * After every request: no 5xx, a JSON answer, no internal error (masked or
 * not), no stack trace; and unless it was a mutation that succeeded, the
 * database and the cache are exactly as before (a fingerprint of every row
 * and every cache entry, taken in one round trip each).
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  buildSchema,
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isLeafType,
  isListType,
  isNonNullType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
  type GraphQLOutputType,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { typeDefs } from '../src/graphql/schema.js';
import { idOf, startTestApi, type TestApi } from './support/api.js';
import { freePort, startRedis, stopRedis } from './support/redis-server.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261124);
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 2500);
const schema = buildSchema(typeDefs);

/** mulberry32: small, fast, seedable. */
function generator(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return {
    next,
    int,
    chance: (p: number) => next() < p,
    pick: <T>(xs: readonly T[]): T => xs[int(xs.length)]!,
    string: (length: number, alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789 -_') => Array.from({ length }, () => alphabet[int(alphabet.length)]).join(''),
  };
}
type Random = ReturnType<typeof generator>;

const gid = (type: string, id: number | string) => Buffer.from(`${type}:${id}`).toString('base64url');

interface Fixture {
  ids: Record<'Product' | 'User' | 'Cart' | 'Order', string[]>;
  cursors: string[];
  emails: string[];
  tokens: (string | undefined)[];
  /** The signed-in callers: where each one's token is in `tokens`, and its user id (all share one password). */
  accounts: { index: number; userId: number }[];
}

/**
 * Logs the fixture's callers in again where a generated logOut or logOutEverywhere ended
 * their sessions, putting the new token in the old one's place in `fixture.tokens` (so the
 * generator's picks stay what the seed makes them).
 */
async function renewTokens(fixture: Fixture) {
  for (const { index, userId } of fixture.accounts) {
    if ((await api.gql(`{ me { id } }`, {}, fixture.tokens[index])).data?.me) continue;
    // Its email as it is now (a generated updateProfile may have changed it); a deleted user stays logged out.
    const user = await api.services.rawDb.user.findUnique({ where: { id: userId }, select: { email: true } });
    if (!user) continue;
    const res = await api.gql(`mutation($input: LogInInput!) { logIn(input: $input) { token } }`, {
      input: { email: user.email, password: 'correct horse battery' },
    });
    fixture.tokens[index] = res.data.logIn.token as string;
  }
}

const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  'é😀\u202e',
  '\'; DROP TABLE "User"; --',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '\\',
  '"',
  '$argon2id$v=19$m=1',
  'null',
  'undefined',
  '__proto__',
  'constructor',
  '%00',
  '../../etc/passwd',
  'a'.repeat(255),
];
const NASTY_NUMBERS = [
  0,
  -1,
  1,
  2 ** 31 - 1,
  2 ** 31,
  -(2 ** 31),
  -(2 ** 31) - 1,
  2 ** 53 + 2,
  -(2 ** 53) - 2,
  1.5,
  -0,
  1e308,
  -1e308,
  1e-7,
  999,
  1000,
  1_000_001,
  100_000_001,
];

function malformedIds(r: Random): string {
  return r.pick([
    'garbage',
    '',
    '   ',
    gid('Product', 0),
    gid('Product', -1),
    gid('Product', '01'),
    gid('Product', 2 ** 31),
    gid('Product', '1.5'),
    gid('Product', '1:2'),
    gid('Nope', 1),
    gid('product', 1),
    gid('', 1),
    'UHJvZHVjdDox====',
    'x'.repeat(r.pick([65, 200, 5000])),
    Buffer.from(`Product:${r.int(100)}\u0000`).toString('base64url'),
    Buffer.from(`cursor:${r.pick([0, 1, 2 ** 31, 9_999_999_999])}`).toString('base64url'),
    '😀',
    '../../',
  ]);
}

/** A value for `type`: mostly right, sometimes wrong in one of many ways. */
function value(r: Random, type: GraphQLInputType, fixture: Fixture, argName: string, depth = 0): unknown {
  const wrong = r.chance(0.12);
  if (isNonNullType(type)) return wrong && r.chance(0.3) ? null : value(r, type.ofType, fixture, argName, depth);
  if (wrong && r.chance(0.4)) {
    return r.pick<unknown>([
      null,
      true,
      'not-a-number',
      12,
      -7.25,
      [],
      {},
      [[['deep']]],
      { nested: { object: 1 } },
      'x'.repeat(r.pick([1000, 30_000, 70_000, 120_000])),
    ]);
  }
  if (isListType(type)) {
    if (wrong && r.chance(0.5)) return Array.from({ length: r.pick([101, 1000, 5000]) }, () => value(r, type.ofType, fixture, argName, depth + 1));
    return Array.from({ length: r.int(4) }, () => value(r, type.ofType, fixture, argName, depth + 1));
  }
  if (isInputObjectType(type)) {
    const out: Record<string, unknown> = {};
    for (const field of Object.values(type.getFields())) {
      if (isNonNullType(field.type) && !(wrong && r.chance(0.3))) out[field.name] = value(r, field.type, fixture, field.name, depth + 1);
      else if (r.chance(0.5)) out[field.name] = value(r, field.type, fixture, field.name, depth + 1);
    }
    if (wrong && r.chance(0.3)) out[r.pick(['unknownField', '__proto__', 'id'])] = 1;
    return out;
  }
  if (isEnumType(type)) return r.chance(0.9) ? r.pick(type.getValues()).value : r.pick(['ADMINISTRATOR', 'customer', '']);
  if (isScalarType(type)) {
    switch (type.name) {
      case 'Int':
        if (wrong || r.chance(0.3)) return r.pick(NASTY_NUMBERS);
        return r.pick([1, 2, 3, 5, 10, 20, 100, 250, 1000]);
      case 'Boolean':
        return r.chance(0.5);
      case 'ID': {
        if (argName === 'productId' || /id/i.test(argName)) {
          if (r.chance(0.6)) return r.pick([...fixture.ids.Product, ...fixture.ids.User, ...fixture.ids.Cart, ...fixture.ids.Order]);
          if (r.chance(0.5)) return gid(r.pick(['Product', 'User', 'Cart', 'Order']), r.pick([2_000_000_000, 999_999, 123_456]));
        }
        return malformedIds(r);
      }
      default: {
        // String: by what the argument means, then nasty ones.
        if (argName === 'after') return r.chance(0.6) && fixture.cursors.length ? r.pick(fixture.cursors) : malformedIds(r);
        if (argName === 'email' && !wrong) return r.chance(0.5) ? r.pick(fixture.emails) : `${r.string(8)}@example.com`;
        if (argName === 'password' && !wrong) return r.pick(['correct horse battery', 'wrong password', 'short', 'p'.repeat(129)]);
        if (argName === 'sku' && !wrong) return `FZ-${r.string(6, 'ABCDEFGHJKLMNPQRSTUVWXYZ0123456789')}`;
        if (wrong || r.chance(0.3)) return r.chance(0.3) ? 'x'.repeat(r.pick([201, 5001, 20_000])) : r.pick(NASTY_STRINGS);
        return r.string(1 + r.int(20));
      }
    }
  }
  return null;
}

/** A GraphQL literal for any JSON value (so wrong values can be inlined too). */
function literal(v: unknown, type: GraphQLInputType): string {
  const named = getNamedType(type);
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string')
    return isEnumType(named) && /^[_A-Za-z][_0-9A-Za-z]*$/.test(v) && v !== 'true' && v !== 'false' && v !== 'null' ? v : JSON.stringify(v);
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '0';
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v))
    return `[${v.map((x) => literal(x, isListType(getNullableType(type)) ? (getNullableType(type) as { ofType: GraphQLInputType }).ofType : type)).join(', ')}]`;
  const fields = isInputObjectType(named) ? named.getFields() : {};
  return `{ ${Object.entries(v as Record<string, unknown>)
    .filter(([k]) => /^[_A-Za-z][_0-9A-Za-z]*$/.test(k))
    .map(([k, x]) => `${k}: ${literal(x, fields[k]?.type ?? named)}`)
    .join(', ')} }`;
}

const typeString = (type: GraphQLInputType): string => type.toString();

interface Doc {
  query: string;
  variables: Record<string, unknown>;
  mutation: boolean;
}

class DocBuilder {
  private variableDefs: string[] = [];
  variables: Record<string, unknown> = {};
  constructor(
    private r: Random,
    private fixture: Fixture,
  ) {}

  args(field: GraphQLField<unknown, unknown>): string {
    const parts: string[] = [];
    for (const arg of field.args as readonly GraphQLArgument[]) {
      const required = isNonNullType(arg.type);
      if (!required && this.r.chance(0.4)) continue;
      if (required && this.r.chance(0.03)) continue; // a missing required argument
      const v = value(this.r, arg.type, this.fixture, arg.name);
      if (this.r.chance(0.5)) {
        const name = `v${this.variableDefs.length}`;
        // Sometimes declared with a type that does not fit the argument.
        const declared = this.r.chance(0.05) ? this.r.pick(['String', 'Int!', '[ID!]!', 'Boolean', 'Float']) : typeString(arg.type);
        this.variableDefs.push(`$${name}: ${declared}`);
        if (!(this.r.chance(0.03) && declared.endsWith('!'))) this.variables[name] = v;
        parts.push(`${arg.name}: $${name}`);
      } else {
        parts.push(`${arg.name}: ${literal(v, arg.type)}`);
      }
    }
    if (this.r.chance(0.02)) parts.push(`unknownArg: 1`);
    return parts.length ? `(${parts.join(', ')})` : '';
  }

  selection(type: GraphQLOutputType, depth: number): string {
    const named = getNamedType(type);
    if (isLeafType(named)) return '';
    if (isInterfaceType(named)) {
      const implementations = schema.getPossibleTypes(named);
      const inner = ['__typename', 'id', ...implementations.filter(() => this.r.chance(0.5)).map((t) => `... on ${t.name} ${this.selection(t, depth)}`)];
      return `{ ${inner.join(' ')} }`;
    }
    const object = named as GraphQLObjectType;
    const fields = Object.values(object.getFields());
    const picked = new Set<GraphQLField<unknown, unknown>>();
    const count = 1 + this.r.int(Math.min(4, fields.length));
    while (picked.size < count) picked.add(this.r.pick(fields));
    const parts = [...picked].flatMap((field) => {
      const leaf = isLeafType(getNamedType(field.type));
      if (!leaf && depth >= 4) return [];
      const alias = this.r.chance(0.05) ? `a${this.r.int(1000)}: ` : '';
      return [`${alias}${field.name}${this.args(field)} ${leaf ? '' : this.selection(field.type, depth + 1)}`];
    });
    if (this.r.chance(0.03)) parts.push('notAField');
    if (parts.length === 0) parts.push('__typename');
    return `{ ${parts.join(' ')} }`;
  }

  document(): Doc {
    const mutation = this.r.chance(0.35);
    const root = mutation ? schema.getMutationType()! : schema.getQueryType()!;
    const fields = Object.values(root.getFields());
    const rootCount = mutation ? 1 : 1 + this.r.int(2);
    const selections = Array.from({ length: rootCount }, (_, i) => {
      const field = this.r.pick(fields);
      const alias = rootCount > 1 ? `r${i}: ` : '';
      return `${alias}${field.name}${this.args(field)} ${this.selection(field.type, 1)}`;
    });
    const defs = this.variableDefs.length ? `(${this.variableDefs.join(', ')})` : '';
    return { query: `${mutation ? 'mutation' : 'query'} Fuzz${defs} { ${selections.join(' ')} }`, variables: this.variables, mutation };
  }
}

/** Random edits: deletions, insertions of GraphQL punctuation and junk, duplications. */
function mangle(r: Random, text: string): string {
  let out = text;
  for (let n = 1 + r.int(3); n > 0; n--) {
    const at = r.int(out.length + 1);
    switch (r.int(5)) {
      case 0:
        out = out.slice(0, at) + out.slice(at + 1 + r.int(10));
        break;
      case 1:
        out =
          out.slice(0, at) +
          r.pick(['{', '}', '(', ')', '$', '@', '...', ':', '"', '"""', '#', '!', '[', ']', '=', '|', '&', '\u0000', 'query', 'fragment', 'on']) +
          out.slice(at);
        break;
      case 2:
        out = out.slice(0, at) + out.slice(at, at + 40).repeat(1 + r.int(3)) + out.slice(at);
        break;
      case 3:
        out = '{'.repeat(r.pick([10, 100, 2000])) + out;
        break;
      default:
        out = out.slice(0, at) + r.string(1 + r.int(30), 'abc{}()[]$@!:,."\\ \n\t') + out.slice(at);
    }
  }
  return out;
}

interface RawRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** Could this request have written anything? (a well-formed mutation) */
  mayWrite: boolean;
}

function request(r: Random, fixture: Fixture): RawRequest {
  const token = r.pick(fixture.tokens);
  const auth: Record<string, string> = token ? { authorization: r.chance(0.97) ? `Bearer ${token}` : token } : {};
  const json = (body: unknown, mayWrite: boolean, extra: Record<string, string> = {}): RawRequest => ({
    method: 'POST',
    path: '',
    headers: { 'content-type': 'application/json', ...auth, ...extra },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    mayWrite,
  });
  const roll = r.next();
  if (roll < 0.7) {
    const doc = new DocBuilder(r, fixture).document();
    return json({ query: doc.query, variables: doc.variables, ...(r.chance(0.05) && { operationName: r.pick(['Fuzz', 'Other', '', 123]) }) }, doc.mutation);
  }
  if (roll < 0.85) {
    const doc = new DocBuilder(r, fixture).document();
    return json({ query: mangle(r, doc.query), variables: doc.variables }, doc.mutation);
  }
  if (roll < 0.95) {
    // Malformed bodies and envelopes.
    const doc = new DocBuilder(r, fixture).document();
    return r.pick<() => RawRequest>([
      () => json('{"query": ', false),
      () => json('null', false),
      () => json('"{ me { id } }"', false),
      () => json('[]', false),
      () => json([{ query: doc.query }, { query: doc.query }], false),
      () => json({ query: 42 }, false),
      () => json({ query: { kind: 'Document' } }, false),
      () => json({ query: doc.query, variables: r.pick(['oops', [1, 2], 7]) }, false),
      () => json({ query: '' }, false),
      () => json({}, false),
      () => json({ query: doc.query, extensions: { persistedQuery: { version: 1, sha256Hash: r.string(64, '0123456789abcdef') } } }, false),
      () => json({ extensions: { persistedQuery: { version: r.pick([1, 2, 'x']), sha256Hash: r.string(10) } } }, false),
      () => json({ query: doc.query, variables: doc.variables, pad: 'x'.repeat(110_000) }, false),
      () => json(JSON.stringify({ query: doc.query }).replace('{', `{${'"a":1,'.repeat(10)}`), doc.mutation),
      () => json(`${'['.repeat(5000)}${']'.repeat(5000)}`, false),
      () => ({
        ...json({ query: doc.query }, false),
        headers: {
          'content-type': r.pick(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data', 'application/json; charset=latin1', '']),
          ...auth,
        },
      }),
      () => ({ ...json({ query: doc.query }, false), headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', ...auth } }),
    ])();
  }
  // GET: queries only; mutations and missing preflight headers are refused.
  const doc = new DocBuilder(r, fixture).document();
  const params = new URLSearchParams({ query: r.chance(0.8) ? doc.query : mangle(r, doc.query), variables: JSON.stringify(doc.variables) });
  return {
    method: 'GET',
    path: `?${params}`.slice(0, 8000),
    headers: { ...auth, ...(r.chance(0.7) && { 'apollo-require-preflight': 'true' }) },
    mayWrite: false,
  };
}

/**
 * Bugs this fuzz found that are still open: an internal error matching one of
 * these is tolerated (still checked to be masked). None are open now; the
 * cursor overflow it found is fixed and has a regression test below.
 */
const KNOWN_BUGS: { name: string; matches(request: string): boolean }[] = [];

let api: TestApi;
let redis: ChildProcess;

/** One SQL statement over every row of every table the API writes (the outbox aside). */
async function databaseFingerprint(): Promise<string> {
  const tables = ['User', 'Product', 'Cart', 'CartItem', 'Order', 'OrderItem'];
  const union = tables.map((t) => `SELECT '${t}' || t::text AS row FROM "${t}" t`).join(' UNION ALL ');
  const [row] = await api.services.rawDb.$queryRawUnsafe<{ md5: string }[]>(
    `SELECT md5(coalesce(string_agg(row, '|' ORDER BY row), '')) AS md5 FROM (${union}) rows`,
  );
  return row!.md5;
}

/** Every cache entry (the rate limiter's counters and the fill leases, which expire by themselves, aside), in one Lua round trip. */
async function cacheFingerprint(): Promise<string> {
  const script = `
    local out = {}
    for _, key in ipairs(redis.call('KEYS', ARGV[1] .. '*')) do
      if string.sub(key, 1, string.len(ARGV[1]) + 3) ~= ARGV[1] .. 'rl:' and not string.find(key, '#fill{', 1, true) then
        local kind = redis.call('TYPE', key).ok
        local value = kind == 'string' and redis.call('GET', key) or cjson.encode(redis.call('HGETALL', key))
        table.insert(out, key .. '=' .. value)
      end
    end
    table.sort(out)
    return redis.sha1hex(table.concat(out, '\\n'))`;
  return (await api.services.redis!.eval(script, 0, api.namespace)) as string;
}

const fingerprint = async () => `${await databaseFingerprint()}/${await cacheFingerprint()}`;

beforeAll(async () => {
  const port = await freePort();
  redis = await startRedis(port);
  api = await startTestApi({
    REDIS_URL: `redis://127.0.0.1:${port}`,
    RATE_LIMITS: 'on',
    RATE_LIMIT_LOGIN_PER_IP: '1000000/60',
    RATE_LIMIT_LOGIN_PER_ACCOUNT: '1000000/60',
    RATE_LIMIT_SIGNUP_PER_IP: '1000000/60',
    RATE_LIMIT_SIGNUP_PER_ACCOUNT: '1000000/60',
    RATE_LIMIT_EMAIL_CHANGE_PER_USER: '1000000/60',
  });
  await api.services.reconciler.stop();
});
afterAll(async () => {
  await api?.close();
  if (redis) await stopRedis(redis);
});

async function makeFixture(): Promise<Fixture> {
  const PASSWORD = 'correct horse battery';
  const emails = [`fuzz-a-${randomBytes(3).toString('hex')}@example.com`, `fuzz-b-${randomBytes(3).toString('hex')}@example.com`];
  const users = [];
  for (const email of emails) {
    const res = await api.gql(`mutation($input: SignUpInput!) { signUp(input: $input) { token user { id } } }`, {
      input: { email, name: 'Fuzz', password: PASSWORD },
    });
    users.push({ token: res.data.signUp.token as string, globalId: res.data.signUp.user.id as string });
  }
  const admin = await api.admin();
  const products = [];
  for (let i = 0; i < 4; i++) products.push(await api.product({ stock: 1000, priceCents: 100 + i }));
  // An order and a cart line for the first customer.
  await api.gql(`mutation($p: ID!) { addToCart(input: { productId: $p, quantity: 2 }) { version } }`, { p: products[0]!.globalId }, users[0]!.token);
  const order = await api.gql(`mutation { checkout { id } }`, {}, users[0]!.token);
  await api.gql(`mutation($p: ID!) { addToCart(input: { productId: $p, quantity: 1 }) { version } }`, { p: products[1]!.globalId }, users[0]!.token);
  const page = await api.gql(`{ products(first: 2) { edges { cursor } } }`);
  // Warm every viewer's cache entry: a refused request must fill nothing.
  for (const token of [users[0]!.token, users[1]!.token, admin.token]) await api.gql(`{ me { id cart { id items { product { id } } } } }`, {}, token);
  return {
    ids: {
      Product: products.map((p) => p.globalId),
      User: [...users.map((u) => u.globalId), admin.globalId],
      Cart: [...users.map((u) => gid('Cart', idOf(u.globalId))), gid('Cart', admin.id)],
      Order: [order.data.checkout.id],
    },
    cursors: page.data.products.edges.map((e: { cursor: string }) => e.cursor),
    emails,
    tokens: [undefined, users[0]!.token, users[1]!.token, admin.token, 'eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.', 'garbage'],
    accounts: [
      { index: 1, userId: idOf(users[0]!.globalId) },
      { index: 2, userId: idOf(users[1]!.globalId) },
      { index: 3, userId: admin.id },
    ],
  };
}

describe('fuzz', () => {
  it(`${REQUESTS} generated requests (seed ${SEED}): no 5xx, no internal error, nothing changed by a refused request`, async () => {
    const fixture = await makeFixture();
    const r = generator(SEED);
    const outcomes: Record<string, number> = {};
    const count = (key: string) => (outcomes[key] = (outcomes[key] ?? 0) + 1);
    let before = await fingerprint();
    const started = performance.now();
    for (let i = 0; i < REQUESTS; i++) {
      const req = request(r, fixture);
      const where = `request #${i} (seed ${SEED}): ${req.method} ${req.path.slice(0, 300)} ${JSON.stringify(req.headers)} ${req.body?.slice(0, 600)}`;
      let response: Response;
      try {
        response = await fetch(`${api.url}${req.path}`, { method: req.method, headers: req.headers, ...(req.body !== undefined && { body: req.body }) });
      } catch (error) {
        throw new Error(`${where}\nthe server closed the connection: ${String(error)}`);
      }
      const text = await response.text();
      expect(response.status, `${where}\n${text.slice(0, 500)}`).toBeLessThan(500);
      let body: { data?: Record<string, unknown> | null; errors?: { message: string; path?: unknown[]; extensions?: { code?: string } }[] };
      try {
        body = JSON.parse(text);
      } catch {
        throw new Error(`${where}\nnot JSON (${response.status}): ${text.slice(0, 300)}`);
      }
      expect(text, where).not.toMatch(/stacktrace|\n\s+at \S+ \(|node_modules|prisma\.|Invalid `/);
      for (const error of body.errors ?? []) {
        if (error.extensions?.code === 'INTERNAL_SERVER_ERROR') {
          const sent = `${[...new URLSearchParams(req.path.slice(1)).values()].join(' ')} ${req.body ?? ''}`;
          const known = KNOWN_BUGS.find((bug) => bug.matches(sent));
          expect(known, `${where}\n${JSON.stringify(error)}`).toBeDefined();
          // Masked all the same: a fixed message and nothing else.
          expect(Object.keys(error).sort(), where).toEqual(expect.arrayContaining(['extensions', 'message']));
          expect({ message: error.message, extensions: error.extensions }, where).toEqual({
            message: 'Internal server error',
            extensions: { code: 'INTERNAL_SERVER_ERROR' },
          });
          count(`known bug: ${known!.name}`);
          continue;
        }
        count(error.extensions?.code ?? 'no code');
      }
      if (!body.errors?.length) count('ok');

      // A mutation ran if its field answered, or if only its selection failed below it (a nested
      // error nulls the non-null payload, but the write was done: GraphQL's semantics).
      const succeeded = body.data && Object.values(body.data).some((v) => v !== null);
      const ranBelow = (body.errors ?? []).length > 0 && (body.errors ?? []).every((e) => (e.path?.length ?? 0) > 1);
      if (req.mayWrite && (succeeded || ranBelow)) {
        count('mutation ok');
        if (req.body?.includes('logOut')) await renewTokens(fixture);
        before = await fingerprint();
      } else {
        const after = await fingerprint();
        expect(after, `${where}\nchanged the database or the cache: ${text.slice(0, 500)}`).toBe(before);
      }
    }
    const seconds = (performance.now() - started) / 1000;
    // The generator reached every layer: parsing, validation, variables, resolvers, and successes.
    expect(outcomes.GRAPHQL_PARSE_FAILED).toBeGreaterThan(50);
    expect(outcomes.GRAPHQL_VALIDATION_FAILED).toBeGreaterThan(50);
    expect(outcomes.BAD_USER_INPUT).toBeGreaterThan(200);
    expect(outcomes.BAD_REQUEST).toBeGreaterThan(20);
    expect((outcomes.UNAUTHENTICATED ?? 0) + (outcomes.FORBIDDEN ?? 0)).toBeGreaterThan(50);
    expect(outcomes.ok).toBeGreaterThan(100);
    expect(outcomes['mutation ok']).toBeGreaterThan(10);
    console.info(`fuzz: ${REQUESTS} requests in ${seconds.toFixed(1)} s (seed ${SEED})`, outcomes);
    // Still serving.
    expect((await fetch(api.url.replace(/graphql$/, 'healthz'))).status).toBe(200);
  }, 120_000);
});

describe('bugs the fuzz found, fixed', () => {
  it('products(after:) with a cursor past the Int range is BAD_USER_INPUT, not an internal error', async () => {
    const res = await api.gql(`query($after: String) { products(first: 1, after: $after) { edges { cursor } } }`, {
      after: Buffer.from('cursor:9999999999').toString('base64url'),
    });
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('more than 50 bad variable values are BAD_USER_INPUT, not an internal error', async () => {
    const res = await api.gql(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids: Array.from({ length: 60 }, () => null) });
    expect(res.errors?.at(-1)).toMatchObject({
      message: expect.stringMatching(/^Too many errors processing variables/),
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });
});
