/**
 * The catalog's queries over HTTP: `products(search, sort, first/after,
 * last/before)` with `totalCount`. Search (name, description and sku, any
 * case, `%` and `_` literal), every sort with ties, keyset paging both ways
 * (exactly once over the whole result, stable under inserts), Relay's page
 * info, a total counted only when asked for, fresh rows from the cache after
 * a price change, and bad arguments refused before any SQL runs.
 *
 * Every test tags its products with a word of its own (in the description)
 * and searches for it, so the products of the other tests stay out.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type GraphQLResponse, type TestApi } from './support/api.js';
import { DELETE_PRODUCT, UPDATE_PRODUCT, adminUser, expectCacheInSync, ok } from './api-helpers.js';

let api: TestApi;
let admin: { token: string; id: number; globalId: string };
beforeAll(async () => {
  api = await startTestApi();
  admin = await adminUser(api);
});
afterAll(() => api?.close());

const SORTS = ['CREATED', 'NEWEST', 'PRICE', 'PRICE_DESC', 'NAME'] as const;
type Sort = (typeof SORTS)[number];

const PRODUCTS = `query($search: String, $sort: ProductSort, $first: Int, $after: String, $last: Int, $before: String) {
  products(search: $search, sort: $sort, first: $first, after: $after, last: $last, before: $before) {
    edges { cursor node { id sku name priceCents version } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;
const PRODUCTS_COUNTED = PRODUCTS.replace('edges {', 'totalCount edges {');
const CREATE = `mutation($input: CreateProductInput!) { createProduct(input: $input) { id sku name priceCents } }`;

interface Made {
  id: string;
  /** Creation order within the test. */
  n: number;
  sku: string;
  name: string;
  priceCents: number;
}

/** A word no other test uses: letters and digits, so it can go in a sku too. */
const newTag = () => `q${randomBytes(5).toString('hex')}`;

let made = 0;
/** Creates a product as the admin; `description` defaults to one holding `tag`. */
async function create(tag: string, fields: Partial<{ sku: string; name: string; description: string; priceCents: number }> = {}): Promise<Made> {
  const input = {
    sku: `C-${randomBytes(4).toString('hex')}`,
    name: 'Catalog product',
    description: `tagged ${tag}`,
    priceCents: 1000,
    ...fields,
  };
  const { createProduct } = ok(await api.gql(CREATE, { input }, admin.token));
  return { ...createProduct, n: made++ };
}

type Variables = Partial<{ search: string | null; sort: Sort | null; first: number; after: string; last: number; before: string }>;
const page = async (variables: Variables) => ok(await api.gql(PRODUCTS, variables)).products;

/** The order each sort promises, computed here from what the test created (ids grow with creation). */
function expected(products: Made[], sort: Sort): string[] {
  const byCreation = (a: Made, b: Made) => a.n - b.n;
  const compare: Record<Sort, (a: Made, b: Made) => number> = {
    CREATED: byCreation,
    NEWEST: (a, b) => b.n - a.n,
    PRICE: (a, b) => a.priceCents - b.priceCents || byCreation(a, b),
    PRICE_DESC: (a, b) => b.priceCents - a.priceCents || b.n - a.n,
    // ASCII names: lower case here is lower case in PostgreSQL.
    NAME: (a, b) => (a.name.toLowerCase() < b.name.toLowerCase() ? -1 : a.name.toLowerCase() > b.name.toLowerCase() ? 1 : byCreation(a, b)),
  };
  return [...products].sort(compare[sort]).map((p) => p.id);
}

/**
 * Walks a listing page by page, forwards (`first`, `after` = endCursor) or
 * backwards (`last`, `before` = startCursor), checking Relay's page info on
 * every page; returns the ids in the listing's order.
 */
async function walk(variables: Variables, direction: 'forward' | 'backward', size: number, between?: (pageIndex: number) => Promise<void>) {
  const pages: string[][] = [];
  let cursor: string | undefined;
  for (;;) {
    const vars =
      direction === 'forward'
        ? { ...variables, first: size, ...(cursor && { after: cursor }) }
        : { ...variables, last: size, ...(cursor && { before: cursor }) };
    const { edges, pageInfo } = await page(vars);
    const ids = edges.map((e: any) => e.node.id);
    pages.push(ids);
    expect(pageInfo.startCursor).toBe(edges[0]?.cursor ?? null);
    expect(pageInfo.endCursor).toBe(edges.at(-1)?.cursor ?? null);
    const [toward, away] = direction === 'forward' ? [pageInfo.hasNextPage, pageInfo.hasPreviousPage] : [pageInfo.hasPreviousPage, pageInfo.hasNextPage];
    // Pages already walked lie behind this one: exactly when this is not the first.
    expect(away, `page ${pages.length} ${direction}`).toBe(pages.length > 1);
    if (!toward) break;
    expect(ids).toHaveLength(size);
    await between?.(pages.length);
    cursor = direction === 'forward' ? pageInfo.endCursor : pageInfo.startCursor;
    expect(pages.length).toBeLessThan(100);
  }
  return direction === 'forward' ? pages.flat() : pages.reverse().flat();
}

/** Runs a request and asserts BAD_USER_INPUT with `message`, no data, and not one SQL statement run. */
async function refusedBeforeSql(send: () => Promise<GraphQLResponse>, message: RegExp, argument?: string) {
  await api.services.outbox.flush();
  const before = api.services.dbStats.queries;
  const res = await send();
  expect(res.errors, JSON.stringify(res.data)).toHaveLength(1);
  expect(res.errors![0]!.extensions?.code, res.errors![0]!.message).toBe('BAD_USER_INPUT');
  expect(res.errors![0]!.message).toMatch(message);
  if (argument) expect(res.errors![0]!.extensions?.argument).toBe(argument);
  expect(res.data ?? null).toBeNull();
  expect(api.services.dbStats.queries - before, 'SQL statements run').toBe(0);
}

describe('search', () => {
  it('matches words in the name, the description or the sku, in any case', async () => {
    const tag = newTag();
    const inName = await create('', { name: `Desk lamp ${tag.toUpperCase()}`, description: 'bright' });
    const inDescription = await create('', { name: 'Floor lamp', description: `A lamp, ${tag}, brass` });
    const inSku = await create('', { sku: `${tag}-7`, name: 'Table lamp', description: 'small' });
    await create('', { name: 'Chair', description: `not tagged: ${tag.slice(0, -1)}` });

    const found = async (search: string) => (await page({ search, first: 100 })).edges.map((e: any) => e.node.id);
    expect(await found(tag)).toEqual([inName.id, inDescription.id, inSku.id]);
    expect(await found(tag.toUpperCase())).toEqual([inName.id, inDescription.id, inSku.id]);
    // Part of a word matches; every word must match, each in any of the three fields.
    expect(await found(`  ${tag.slice(2, 8)}   LAMP `)).toEqual([inName.id, inDescription.id, inSku.id]);
    expect(await found(`${tag} brass`)).toEqual([inDescription.id]);
    expect(await found(`${tag} desk`)).toEqual([inName.id]);
    expect(await found(`${tag}-7`)).toEqual([inSku.id]);
    expect(await found(`${tag} nowhere`)).toEqual([]);
  });

  it('takes % and _ (and \\) literally', async () => {
    const tag = newTag();
    const percent = await create(tag, { name: '100% cotton' });
    const noPercent = await create(tag, { name: '1000 cotton' });
    const underscore = await create(tag, { name: 'snake_case' });
    const noUnderscore = await create(tag, { name: 'snakeXcase' });
    const backslash = await create(tag, { name: 'back\\slash' });
    const found = async (search: string) => (await page({ search: `${tag} ${search}`, first: 100 })).edges.map((e: any) => e.node.id);
    expect(await found('100%')).toEqual([percent.id]);
    expect(await found('%')).toEqual([percent.id]);
    expect(await found('e_c')).toEqual([underscore.id]);
    expect(await found('_')).toEqual([underscore.id]);
    expect(await found('k\\s')).toEqual([backslash.id]);
    // Without the two, every product of the tag.
    expect(await found('')).toEqual([percent.id, noPercent.id, underscore.id, noUnderscore.id, backslash.id]);
  });

  it('null, empty or blank: the whole catalog', async () => {
    const all = await api.services.rawDb.product.count();
    for (const search of [null, '', '   ']) {
      const { products } = ok(await api.gql(`query($s: String) { products(search: $s, first: 1) { totalCount } }`, { s: search }));
      expect(products.totalCount, JSON.stringify(search)).toBe(all);
    }
  });
});

describe('sort', () => {
  it('orders by each sort, ties in creation order (newest first for PRICE_DESC); NAME ignores case', async () => {
    const tag = newTag();
    const products: Made[] = [];
    const rows: [string, number][] = [
      ['banana', 300],
      ['Apple', 100],
      ['cherry', 200],
      ['apple', 100],
      ['Banana', 300],
      ['date', 100],
    ];
    for (const [name, priceCents] of rows) products.push(await create(tag, { name, priceCents }));
    for (const sort of SORTS) {
      const ids = (await page({ search: tag, sort, first: 100 })).edges.map((e: any) => e.node.id);
      expect(ids, sort).toEqual(expected(products, sort));
    }
    // Spelled out once, so the expectations above are not only the test's own sort.
    const names = (await page({ search: tag, sort: 'NAME', first: 100 })).edges.map((e: any) => e.node.name);
    expect(names).toEqual(['Apple', 'apple', 'banana', 'Banana', 'cherry', 'date']);
    const prices = (await page({ search: tag, sort: 'PRICE_DESC', first: 100 })).edges.map((e: any) => `${e.node.name} ${e.node.priceCents}`);
    expect(prices).toEqual(['Banana 300', 'banana 300', 'cherry 200', 'date 100', 'apple 100', 'Apple 100']);
    // The default, and an explicit null, are creation order.
    expect((await page({ search: tag, first: 100 })).edges.map((e: any) => e.node.id)).toEqual(expected(products, 'CREATED'));
    expect((await page({ search: tag, sort: null, first: 100 })).edges.map((e: any) => e.node.id)).toEqual(expected(products, 'CREATED'));
  });
});

describe('paging', () => {
  it('walks the whole result exactly once forwards and once backwards, in every sort, with exact page info', async () => {
    const tag = newTag();
    const products: Made[] = [];
    const rows: [string, number][] = [
      ['Kettle', 500],
      ['anvil', 200],
      ['Bucket', 500],
      ['kettle', 200],
      ['drum', 900],
      ['Anvil', 500],
      ['egg', 100],
    ];
    for (const [name, priceCents] of rows) products.push(await create(tag, { name, priceCents }));
    for (const sort of SORTS) {
      const want = expected(products, sort);
      for (const size of [1, 2, 3, 7]) {
        expect(await walk({ search: tag, sort }, 'forward', size), `${sort} forward by ${size}`).toEqual(want);
        expect(await walk({ search: tag, sort }, 'backward', size), `${sort} backward by ${size}`).toEqual(want);
      }
      // Both cursors: the rows strictly between them; and there are rows on both sides.
      const all = (await page({ search: tag, sort, first: 100 })).edges;
      const window = await page({ search: tag, sort, first: 10, after: all[1].cursor, before: all[5].cursor });
      expect(
        window.edges.map((e: any) => e.node.id),
        sort,
      ).toEqual(want.slice(2, 5));
      expect(window.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: true });
      const fromEnd = await page({ search: tag, sort, last: 2, after: all[1].cursor, before: all[5].cursor });
      expect(
        fromEnd.edges.map((e: any) => e.node.id),
        sort,
      ).toEqual(want.slice(3, 5));
      expect(fromEnd.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: true });
    }
  });

  it('first/last without cursors: the ends of the listing; past either end an empty page', async () => {
    const tag = newTag();
    const products: Made[] = [];
    for (const priceCents of [300, 100, 200]) products.push(await create(tag, { priceCents }));
    const want = expected(products, 'PRICE');
    const first = await page({ search: tag, sort: 'PRICE', first: 2 });
    expect(first.edges.map((e: any) => e.node.id)).toEqual(want.slice(0, 2));
    expect(first.pageInfo).toMatchObject({ hasPreviousPage: false, hasNextPage: true });
    const last = await page({ search: tag, sort: 'PRICE', last: 2 });
    expect(last.edges.map((e: any) => e.node.id)).toEqual(want.slice(1));
    expect(last.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
    const whole = await page({ search: tag, sort: 'PRICE', last: 3 });
    expect(whole.pageInfo).toMatchObject({ hasPreviousPage: false, hasNextPage: false });

    const pastEnd = await page({ search: tag, sort: 'PRICE', first: 2, after: last.pageInfo.endCursor });
    expect(pastEnd).toEqual({ edges: [], pageInfo: { hasNextPage: false, hasPreviousPage: true, startCursor: null, endCursor: null } });
    const pastStart = await page({ search: tag, sort: 'PRICE', last: 2, before: first.pageInfo.startCursor });
    expect(pastStart).toEqual({ edges: [], pageInfo: { hasNextPage: true, hasPreviousPage: false, startCursor: null, endCursor: null } });
  });

  it('says exactly whether rows lie beyond a cursor, even when the cursor’s product is gone', async () => {
    const tag = newTag();
    const [a, b, c] = [await create(tag), await create(tag), await create(tag)];
    const all = (await page({ search: tag, first: 3 })).edges;
    // Forwards from b: a lies before it. Backwards from b: c lies after it.
    expect((await page({ search: tag, first: 5, after: all[1].cursor })).pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
    expect((await page({ search: tag, last: 5, before: all[1].cursor })).pageInfo).toMatchObject({ hasPreviousPage: false, hasNextPage: true });
    ok(await api.gql(DELETE_PRODUCT, { id: a.id }, admin.token));
    ok(await api.gql(DELETE_PRODUCT, { id: c.id }, admin.token));
    // a's cursor: nothing at or before it any more, b after it.
    const fromA = await page({ search: tag, first: 5, after: all[0].cursor });
    expect(fromA.edges.map((e: any) => e.node.id)).toEqual([b.id]);
    expect(fromA.pageInfo).toMatchObject({ hasPreviousPage: false, hasNextPage: false });
    // c's cursor, backwards: nothing at or after it any more.
    const fromC = await page({ search: tag, last: 5, before: all[2].cursor });
    expect(fromC.edges.map((e: any) => e.node.id)).toEqual([b.id]);
    expect(fromC.pageInfo).toMatchObject({ hasPreviousPage: false, hasNextPage: false });
  });

  it('is stable under ties and concurrent inserts: no product skipped or repeated, new ones behind the cursor stay out', async () => {
    const tag = newTag();
    // All at one price: within it, creation order, from the id in the cursor.
    const existing: Made[] = [];
    for (let i = 0; i < 6; i++) existing.push(await create(tag, { priceCents: 500 }));
    const behind: Made[] = [];
    const ahead: Made[] = [];
    const forward = await walk({ search: tag, sort: 'PRICE' }, 'forward', 2, async () => {
      behind.push(await create(tag, { priceCents: 499 }));
      // A tie created later sorts after every 500 so far: ahead of the cursor.
      ahead.push(await create(tag, { priceCents: 500 }));
    });
    expect(forward).toEqual(expected([...existing, ...ahead], 'PRICE'));
    expect(new Set(forward).size).toBe(forward.length);

    // Backwards, from the dearest: the dearer and the later ties are behind the cursor, the cheaper ahead.
    const listed = [...existing, ...ahead, ...behind];
    const cheaper: Made[] = [];
    const backward = await walk({ search: tag, sort: 'PRICE' }, 'backward', 2, async () => {
      await create(tag, { priceCents: 9999 });
      await create(tag, { priceCents: 500 });
      // Cheaper than every product so far, so ahead wherever the cursor is.
      cheaper.push(await create(tag, { priceCents: 400 - cheaper.length }));
    });
    expect(backward).toEqual(expected([...listed, ...cheaper], 'PRICE'));
    expect(new Set(backward).size).toBe(backward.length);
  });
});

describe('totalCount', () => {
  it('counts every product matching the search, on every page, and the whole catalog without one', async () => {
    const tag = newTag();
    for (let i = 0; i < 5; i++) await create(tag, { name: i % 2 ? 'Odd one' : 'Even one' });
    const first = ok(await api.gql(PRODUCTS_COUNTED, { search: tag, first: 2 })).products;
    expect(first.totalCount).toBe(5);
    const second = ok(await api.gql(PRODUCTS_COUNTED, { search: tag, first: 2, after: first.pageInfo.endCursor })).products;
    expect(second.totalCount).toBe(5);
    expect(ok(await api.gql(PRODUCTS_COUNTED, { search: tag, last: 1, sort: 'NAME' })).products.totalCount).toBe(5);
    expect(ok(await api.gql(PRODUCTS_COUNTED, { search: `${tag} odd`, first: 1 })).products.totalCount).toBe(2);
    expect(ok(await api.gql(PRODUCTS_COUNTED, { search: `${tag} nothing` })).products).toMatchObject({
      totalCount: 0,
      edges: [],
      pageInfo: { hasNextPage: false, hasPreviousPage: false },
    });
    const all = await api.services.rawDb.product.count();
    expect(ok(await api.gql(PRODUCTS_COUNTED, { first: 1 })).products.totalCount).toBe(all);
  });

  it('is counted only when selected: one COUNT more, once however often it is asked', async () => {
    const tag = newTag();
    for (let i = 0; i < 3; i++) await create(tag);
    const statements = async (query: string) => {
      await api.services.outbox.flush();
      const before = api.services.dbStats.queries;
      ok(await api.gql(query, { s: tag }));
      return api.services.dbStats.queries - before;
    };
    // Warm: the products come from the cache, so each statement below is the catalog's own.
    await statements(`query($s: String) { products(search: $s) { edges { node { id name } } } }`);
    expect(await statements(`query($s: String) { products(search: $s) { edges { node { id name } } } }`)).toBe(1);
    expect(await statements(`query($s: String) { products(search: $s) { totalCount edges { node { id name } } } }`)).toBe(2);
    expect(
      await statements(`query($s: String) { products(search: $s) { a: totalCount b: totalCount ...F } } fragment F on ProductConnection { totalCount }`),
    ).toBe(2);
  });

  it('asks PostgreSQL whether rows lie beyond a cursor only when the flag that needs it is selected, once', async () => {
    const tag = newTag();
    for (let i = 0; i < 3; i++) await create(tag);
    const statements = async (query: string, variables: Record<string, unknown>) => {
      await api.services.outbox.flush();
      const before = api.services.dbStats.queries;
      const data = ok(await api.gql(query, { s: tag, ...variables }));
      return { count: api.services.dbStats.queries - before, pageInfo: data.products.pageInfo };
    };
    const first = ok(await api.gql(`query($s: String) { products(search: $s, first: 1) { pageInfo { endCursor } } }`, { s: tag }));
    const after = first.products.pageInfo.endCursor;
    const PAGE = `query($s: String, $after: String) { products(search: $s, first: 1, after: $after) { edges { node { id } } pageInfo { endCursor hasNextPage`;
    await statements(`${PAGE} } } }`, { after });
    expect(await statements(`${PAGE} } } }`, { after })).toEqual({ count: 1, pageInfo: { endCursor: expect.any(String), hasNextPage: true } });
    const withPrevious = await statements(`${PAGE} hasPreviousPage again: hasPreviousPage } } }`, { after });
    expect(withPrevious).toEqual({ count: 2, pageInfo: expect.objectContaining({ hasPreviousPage: true, again: true }) });
  });
});

describe('freshness', () => {
  it('after a price change through the API, the product moves to its new PRICE position with its new price, read from the cache', async () => {
    const tag = newTag();
    const cheap = await create(tag, { priceCents: 100 });
    const middle = await create(tag, { priceCents: 200 });
    const dear = await create(tag, { priceCents: 300 });
    const prices = async () => (await page({ search: tag, sort: 'PRICE' })).edges.map((e: any) => [e.node.id, e.node.priceCents, e.node.version]);
    expect(await prices()).toEqual([
      [cheap.id, 100, 1],
      [middle.id, 200, 1],
      [dear.id, 300, 1],
    ]);
    ok(await api.gql(UPDATE_PRODUCT, { input: { id: middle.id, priceCents: 400 } }, admin.token));
    await api.services.outbox.flush();
    const before = api.services.dbStats.queries;
    expect(await prices()).toEqual([
      [cheap.id, 100, 1],
      [dear.id, 300, 1],
      [middle.id, 400, 2],
    ]);
    // One statement, the page's ids: the three rows came from the cache, which the write kept exact.
    expect(api.services.dbStats.queries - before).toBe(1);
    await expectCacheInSync(api, 'Product', Number(Buffer.from(middle.id, 'base64url').toString().split(':')[1]));
    // And backwards: the new dearest is the last.
    expect((await page({ search: tag, sort: 'PRICE', last: 1 })).edges.map((e: any) => e.node.priceCents)).toEqual([400]);
  });
});

describe('bad arguments', () => {
  it('refuses first and last together, and either out of 1..100, with BAD_USER_INPUT before any SQL', async () => {
    await refusedBeforeSql(() => api.gql(PRODUCTS, { first: 2, last: 2 }), /^first and last cannot be given together/, 'last');
    for (const first of [0, 101, -1]) await refusedBeforeSql(() => api.gql(PRODUCTS, { first }), /^first must be from 1 to 100, got/, 'first');
    for (const last of [0, 101, -1]) await refusedBeforeSql(() => api.gql(PRODUCTS, { last }), /^last must be from 1 to 100, got/, 'last');
    ok(await api.gql(PRODUCTS, { last: 100 }));
  });

  it('refuses a search over 200 characters', async () => {
    await refusedBeforeSql(() => api.gql(PRODUCTS, { search: 'x'.repeat(201) }), /^search must be at most 200 characters, got 201$/, 'search');
    // White space at either end does not count.
    ok(await api.gql(PRODUCTS, { search: ` ${'x'.repeat(200)} ` }));
  });

  it('refuses a cursor of another sort or another search, saying so', async () => {
    const tag = newTag();
    for (let i = 0; i < 3; i++) await create(tag, { priceCents: 100 + i });
    const byPrice = await page({ search: `${tag} tagged`, sort: 'PRICE', first: 1 });
    const cursor = byPrice.pageInfo.endCursor;
    await refusedBeforeSql(
      () => api.gql(PRODUCTS, { search: tag, sort: 'NAME', after: cursor }),
      /^after is a cursor of a listing sorted by PRICE, not NAME/,
      'after',
    );
    await refusedBeforeSql(() => api.gql(PRODUCTS, { search: tag, sort: 'PRICE_DESC', last: 1, before: cursor }), /sorted by PRICE, not PRICE_DESC/, 'before');
    await refusedBeforeSql(
      () => api.gql(PRODUCTS, { search: 'other', sort: 'PRICE', after: cursor }),
      /^after is a cursor of a listing with another search/,
      'after',
    );
    await refusedBeforeSql(() => api.gql(PRODUCTS, { sort: 'PRICE', after: cursor }), /another search/, 'after');
    // A cursor of the whole catalog is not one of a search either.
    const whole = (await page({ first: 1 })).pageInfo.endCursor;
    await refusedBeforeSql(() => api.gql(PRODUCTS, { search: tag, after: whole }), /another search/, 'after');
    // The same words in another order, spacing or repetition are the same search.
    ok(await api.gql(PRODUCTS, { search: `  TAGGED   ${tag} ${tag}`, sort: 'PRICE', after: cursor }));
  });

  it('refuses malformed cursors, and cursors whose key is not of their sort', async () => {
    const encode = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
    const malformed = [
      'garbage',
      encode('cursor:5'),
      encode({ s: 'PRICE', f: '', k: 'cheap', i: 1 }),
      encode({ s: 'PRICE', f: '', k: 1.5, i: 1 }),
      encode({ s: 'CREATED', f: '', k: null, i: 0 }),
      encode({ s: 'CREATED', f: '', k: null, i: 2 ** 31 }),
      encode({ s: 'CREATED', f: '', k: 7, i: 1 }),
      encode({ s: 'NAME', f: '', k: 12, i: 1 }),
      'x'.repeat(5000),
    ];
    const sortOf = (cursor: string) => {
      try {
        return JSON.parse(Buffer.from(cursor, 'base64url').toString()).s ?? 'CREATED';
      } catch {
        return 'CREATED';
      }
    };
    for (const cursor of malformed) {
      await refusedBeforeSql(() => api.gql(PRODUCTS, { sort: sortOf(cursor), after: cursor }), /^after must be a cursor from pageInfo\.endCursor/, 'after');
      await refusedBeforeSql(
        () => api.gql(PRODUCTS, { sort: sortOf(cursor), last: 1, before: cursor }),
        /^before must be a cursor from pageInfo\.startCursor/,
        'before',
      );
    }
  });

  it('prices last like first in the query cost', async () => {
    // 15 connections of 100 × (edge, node, page info) plus themselves: 6000, over the limit of 5000.
    const fields = (n: number) =>
      Array.from({ length: 15 }, (_, i) => `p${i}: products(last: ${n}) { edges { node { id } } pageInfo { hasNextPage } }`).join(' ');
    await api.services.outbox.flush();
    const before = api.services.dbStats.queries;
    const res = await api.gql(`{ ${fields(100)} }`);
    expect(res.status).toBe(400);
    expect(res.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(res.errors?.[0]?.message).toMatch(/^Query cost 6000 exceeds the limit of 5000/);
    expect(api.services.dbStats.queries - before).toBe(0);
    ok(await api.gql(`{ ${fields(50)} }`));
  });
});
