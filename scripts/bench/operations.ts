/**
 * The benchmark's GraphQL operations: their documents and the generators of
 * their variables. Every mode is sent exactly these documents.
 *
 * Every object with an `id` selects `version` right after it, so the load
 * driver can find each (entity, version) pair of an answer with a regular
 * expression instead of parsing it (see `versionsInBody`), and the stale-read
 * observer of the consistency checker can check them.
 */
import { globalIdOf } from '../consistency/http.js';
import type { Random } from '../consistency/random.js';
import { toListingCursor } from '../../src/graphql/pagination.js';
import type { Dataset } from './seed.js';

/** The measured operations, in report order. */
export const OPERATIONS = ['product', 'cart', 'page', 'addToCart', 'updateProduct'] as const;
export type OperationName = (typeof OPERATIONS)[number];
/** Operations used only to count (never measured for speed): the cart without its products. */
export type ProbeName = OperationName | 'cartOnly';

export const MUTATIONS: readonly OperationName[] = ['addToCart', 'updateProduct'];
export const isMutation = (op: string): boolean => (MUTATIONS as readonly string[]).includes(op);

export const OPERATION_LABELS: Record<ProbeName, string> = {
  product: 'one product by id',
  cart: 'a cart of 20 items with their products',
  page: 'a page of 50 products',
  addToCart: 'addToCart',
  updateProduct: 'updateProduct',
  cartOnly: 'the cart without its products (for counting)',
};

/** The cursor of product `id` in the whole catalog in creation order (`products`' default sort, no search). */
const catalogCursor = (id: number) => toListingCursor({ sort: 'CREATED', filter: '', key: null, id });

/** Products per page of the `page` operation. */
export const PAGE_SIZE = 50;

export const DOCUMENTS: Record<ProbeName, string> = {
  product: 'query BenchProduct($id: ID!) { product(id: $id) { id version sku name priceCents stock } }',
  cart: 'query BenchCart { me { id version cart { id version itemCount totalCents items { quantity subtotalCents product { id version sku name priceCents } } } } }',
  cartOnly: 'query BenchCartOnly { me { id version cart { id version } } }',
  page: `query BenchPage($after: String) { products(first: ${PAGE_SIZE}, after: $after) { edges { node { id version sku name priceCents } } pageInfo { endCursor hasNextPage } } }`,
  addToCart: 'mutation BenchAddToCart($input: AddToCartInput!) { addToCart(input: $input) { id version itemCount } }',
  updateProduct: 'mutation BenchUpdateProduct($input: UpdateProductInput!) { updateProduct(input: $input) { id version priceCents } }',
};

/** One request, ready to send. */
export interface PreparedRequest {
  op: ProbeName;
  query: string;
  variables: Record<string, unknown>;
  /** Bearer token, if the operation needs one. */
  token?: string;
}

/**
 * Picks the entities of each operation. Reads go to the working set, a
 * quarter of them to the hot subset that the mutations write, so that a
 * stale entry would be read; mutations only write the hot subset.
 */
export class OperationGenerator {
  constructor(
    private readonly data: Dataset,
    private readonly random: Random,
    /** Share of reads aimed at the hot subset. */
    private readonly hotReadShare = 0.25,
  ) {}

  next(op: ProbeName): PreparedRequest {
    const { data, random } = this;
    switch (op) {
      case 'product': {
        const id = random.chance(this.hotReadShare) ? random.pick(data.hotProducts) : random.int(1, data.workingSetProducts);
        return { op, query: DOCUMENTS.product, variables: { id: globalIdOf('Product', id) } };
      }
      case 'cart':
      case 'cartOnly': {
        const user = random.chance(this.hotReadShare) ? random.pick(data.hotUsers) : random.pick(data.activeUsers);
        return { op, query: DOCUMENTS[op], variables: {}, token: user.token };
      }
      case 'page': {
        // A page starting anywhere in the working set (the first page has no cursor).
        const start = random.int(0, Math.max(0, data.workingSetProducts - PAGE_SIZE));
        return { op, query: DOCUMENTS.page, variables: start === 0 ? {} : { after: catalogCursor(start) } };
      }
      case 'addToCart': {
        // One more unit of a product already in the cart: the cart keeps its 20 lines.
        const user = random.pick(data.hotUsers);
        const productId = random.pick(user.cart);
        return { op, query: DOCUMENTS.addToCart, variables: { input: { productId: globalIdOf('Product', productId), quantity: 1 } }, token: user.token };
      }
      case 'updateProduct': {
        const id = random.pick(data.hotProducts);
        const priceCents = random.int(100, 99_999);
        return { op, query: DOCUMENTS.updateProduct, variables: { input: { id: globalIdOf('Product', id), priceCents } }, token: data.admin.token };
      }
    }
  }

  /** The cart of a given user (the scaling carts, the warm-up). */
  cartOf(token: string): PreparedRequest {
    return { op: 'cart', query: DOCUMENTS.cart, variables: {}, token };
  }

  /** The page after product `afterId` (0: the first page), for warming the cache. */
  pageAfter(afterId: number): PreparedRequest {
    return { op: 'page', query: DOCUMENTS.page, variables: afterId === 0 ? {} : { after: catalogCursor(afterId) } };
  }
}

const VERSIONED = /"id":"([A-Za-z0-9_-]+)","version":(\d+)/g;

/** Every `(entity, version)` pair in an answer's JSON, in order: `Product:3`, `Cart:5`, `User:5`. */
export function versionsInBody(body: string): { entity: string; version: number }[] {
  const out: { entity: string; version: number }[] = [];
  for (const match of body.matchAll(VERSIONED)) out.push({ entity: Buffer.from(match[1]!, 'base64url').toString(), version: Number(match[2]) });
  return out;
}
