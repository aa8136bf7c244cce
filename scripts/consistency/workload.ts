/**
 * The load: concurrent clients (async loops, bounded by an operation budget
 * and a deadline), each operation sent to an API instance picked at random.
 *
 * Mutations: `updateProfile` (name), `updateProduct` (price), `adjustStock`
 * (+/-1), `addToCart`, `setCartItemQuantity`, `removeFromCart`. Queries:
 * `product(id)`, `products(first: 20)`, `me` (with the cart), `user(id)` as
 * the admin, `node(id)`. Every selection asks for `version` of each entity.
 *
 * Outcomes of a mutation:
 * - acknowledged: an answer with data and no error; the version of the entity
 *   it wrote goes to the observer;
 * - refused: an answer with a GraphQL error code (OUT_OF_STOCK, NOT_FOUND,
 *   CACHE_UNAVAILABLE, ...): not acknowledged;
 * - unknown outcome: no answer (network error, timeout: the instance was
 *   killed) or a 5xx: not acknowledged, it may or may not have committed.
 * Every entity version in any answer (queries, and mutation answers too) is
 * checked by the observer for staleness.
 */
import { entityKeyOf, errorCode, postGraphQL, type HttpOutcome } from './http.js';
import type { Observer } from './observer.js';
import type { ApiInstance } from './processes.js';
import type { Random } from './random.js';
import type { Customer, Fixture } from './setup.js';
import { now, sleep } from './time.js';

export const MUTATION_KINDS = ['updateProfile', 'updateProduct', 'adjustStock', 'addToCart', 'setCartItemQuantity', 'removeFromCart'] as const;
export const QUERY_KINDS = ['product', 'products', 'me', 'user', 'node'] as const;
export type MutationKind = (typeof MUTATION_KINDS)[number];
export type QueryKind = (typeof QUERY_KINDS)[number];
export type OperationKind = MutationKind | QueryKind;

/** Relative frequency of each operation: a bit more reads than writes, on a small hot set. */
export const DEFAULT_WEIGHTS: Readonly<Record<OperationKind, number>> = {
  updateProfile: 7,
  updateProduct: 7,
  adjustStock: 8,
  addToCart: 8,
  setCartItemQuantity: 7,
  removeFromCart: 6,
  product: 12,
  products: 8,
  me: 12,
  user: 10,
  node: 10,
};

const CART = 'id version items { quantity product { id version } }';
const DOCUMENTS: Record<OperationKind, string> = {
  updateProfile: `mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { id version } }`,
  updateProduct: `mutation($input: UpdateProductInput!) { updateProduct(input: $input) { id version } }`,
  adjustStock: `mutation($input: AdjustStockInput!) { adjustStock(input: $input) { id version stock } }`,
  addToCart: `mutation($input: AddToCartInput!) { addToCart(input: $input) { ${CART} } }`,
  setCartItemQuantity: `mutation($input: SetCartItemQuantityInput!) { setCartItemQuantity(input: $input) { ${CART} } }`,
  removeFromCart: `mutation($productId: ID!) { removeFromCart(productId: $productId) { ${CART} } }`,
  product: `query($id: ID!) { product(id: $id) { id version } }`,
  products: `{ products(first: 20) { edges { node { id version } } } }`,
  me: `{ me { id version cart { ${CART} } } }`,
  user: `query($id: ID!) { user(id: $id) { id version cart { id version } } }`,
  node: `query($id: ID!) { node(id: $id) { id ... on Product { version } ... on User { version } ... on Cart { version } } }`,
};

export interface OutcomeCounts {
  /** Mutations: acknowledged; queries: answered with data. */
  ok: number;
  /** Mutations only: refused with a GraphQL error code. */
  refused: number;
  /** Mutations only: no answer, or a 5xx. */
  unknown: number;
  /** Queries only: no answer, a 5xx, or a GraphQL error. */
  failed: number;
}

export interface WorkloadStats {
  total: number;
  /** By operation, then by instance name. */
  operations: Record<string, Record<string, OutcomeCounts>>;
  /** Refused mutations, by error code. */
  refusals: Record<string, number>;
  /** Mutations with an unknown outcome, by reason (`refused`, `reset`, `timeout`, `http-503`, ...). */
  unknownOutcomes: Record<string, number>;
  /** Failed queries, by reason. */
  queryFailures: Record<string, number>;
  startedAt: number;
  stoppedAt: number;
}

export interface WorkloadOptions {
  fixture: Fixture;
  apis: readonly ApiInstance[];
  clients: number;
  durationMs: number;
  /** Total operations over all clients. @default Infinity */
  maxOperations?: number;
  random: Random;
  observer: Observer;
  signal?: AbortSignal;
  /** Stops the load early (no new operation starts; those in flight finish). */
  shouldStop?: () => boolean;
  weights?: Readonly<Record<OperationKind, number>>;
  /** Timeout of one request, in ms. @default 10000 */
  requestTimeoutMs?: number;
}

const isMutation = (kind: OperationKind): kind is MutationKind => (MUTATION_KINDS as readonly string[]).includes(kind);

/** Every `{ id, version }` object in an answer (global ids decode to the observer's entity keys). */
function versionsIn(value: unknown, out: { entity: string; version: number }[] = []): { entity: string; version: number }[] {
  if (Array.isArray(value)) {
    for (const item of value) versionsIn(item, out);
  } else if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (typeof record.id === 'string' && typeof record.version === 'number') out.push({ entity: entityKeyOf(record.id), version: record.version });
    for (const [key, child] of Object.entries(record)) if (key !== 'id' && key !== 'version') versionsIn(child, out);
  }
  return out;
}

export async function runWorkload(options: WorkloadOptions): Promise<WorkloadStats> {
  const { fixture, apis, observer, signal } = options;
  const weights = options.weights ?? DEFAULT_WEIGHTS;
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  const startedAt = now();
  const deadline = startedAt + options.durationMs;
  let budget = options.maxOperations ?? Number.POSITIVE_INFINITY;
  const stats: WorkloadStats = { total: 0, operations: {}, refusals: {}, unknownOutcomes: {}, queryFailures: {}, startedAt, stoppedAt: startedAt };
  /** What each customer's cart last held, as answers showed it: setCartItemQuantity and removeFromCart aim at these. */
  const carts = new Map<number, Set<string>>(fixture.customers.map((c) => [c.id, new Set<string>()]));
  let nameCounter = 0;

  const counts = (kind: string, instance: string): OutcomeCounts => {
    const byInstance = (stats.operations[kind] ??= {});
    return (byInstance[instance] ??= { ok: 0, refused: 0, unknown: 0, failed: 0 });
  };
  const bump = (map: Record<string, number>, key: string) => (map[key] = (map[key] ?? 0) + 1);
  const rememberCart = (customerId: number, cart: { items?: { product?: { id: string } }[] } | null | undefined) => {
    if (cart?.items) carts.set(customerId, new Set(cart.items.map((i) => i.product?.id).filter((id): id is string => !!id)));
  };

  const done = () => signal?.aborted || now() >= deadline || options.shouldStop?.() === true;

  async function client(random: Random) {
    while (!done()) {
      if (budget <= 0) return;
      const up = apis.filter((a) => a.up);
      if (up.length === 0) {
        await sleep(20, signal);
        continue;
      }
      budget--;
      const api = random.pick(up);
      const kind = random.weighted(weights);
      await perform(random, api, kind);
    }
  }

  async function perform(random: Random, api: ApiInstance, kind: OperationKind) {
    const customer: Customer = random.pick(fixture.customers);
    const product = random.pick(fixture.products);
    const inCart = [...(carts.get(customer.id) ?? [])];
    // Mostly a product known to be in the cart (else NOT_FOUND), sometimes any product.
    const cartProduct = inCart.length && random.chance(0.85) ? random.pick(inCart) : product.globalId;
    let variables: Record<string, unknown> = {};
    let token = customer.token;
    switch (kind) {
      case 'updateProfile':
        variables = { input: { name: `Customer ${customer.id} #${++nameCounter}` } };
        break;
      case 'updateProduct':
        variables = { input: { id: product.globalId, priceCents: random.int(100, 10_000) } };
        token = fixture.admin.token;
        break;
      case 'adjustStock':
        variables = { input: { productId: product.globalId, delta: random.chance(0.5) ? 1 : -1 } };
        token = fixture.admin.token;
        break;
      case 'addToCart':
        variables = { input: { productId: product.globalId, quantity: 1 } };
        break;
      case 'setCartItemQuantity':
        variables = { input: { productId: cartProduct, quantity: random.int(1, 3) } };
        break;
      case 'removeFromCart':
        variables = { productId: cartProduct };
        break;
      case 'product':
        variables = { id: product.globalId };
        break;
      case 'products':
      case 'me':
        break;
      case 'user':
        variables = { id: customer.globalId };
        token = fixture.admin.token;
        break;
      case 'node': {
        const target = random.int(0, 2);
        const id = target === 0 ? product.globalId : target === 1 ? customer.globalId : Buffer.from(`Cart:${customer.id}`).toString('base64url');
        variables = { id };
        token = fixture.admin.token;
        break;
      }
    }

    const mutation = isMutation(kind);
    const sentAt = now();
    if (mutation) api.inFlightMutations++;
    let outcome: HttpOutcome;
    try {
      outcome = await postGraphQL(api.baseUrl, DOCUMENTS[kind], variables, token, timeoutMs);
    } finally {
      if (mutation) api.inFlightMutations--;
    }
    const receivedAt = now();
    stats.total++;
    const c = counts(kind, api.name);

    if (outcome.kind !== 'answer') {
      const reason = outcome.kind === 'http-error' ? `http-${outcome.status}` : outcome.reason;
      if (mutation) {
        c.unknown++;
        bump(stats.unknownOutcomes, reason);
      } else {
        c.failed++;
        bump(stats.queryFailures, reason);
      }
      return;
    }

    // Whatever data came back is a read: check every version in it (partial answers included).
    const readKind = mutation ? `mutation:${kind}` : kind;
    for (const { entity, version } of versionsIn(outcome.data)) {
      observer.read(entity, version, { kind: readKind, startedAt: sentAt, endedAt: receivedAt, instance: api.name });
    }

    if (outcome.errors?.length || !outcome.data) {
      const code = errorCode(outcome.errors ?? []);
      if (mutation) {
        c.refused++;
        bump(stats.refusals, code);
      } else {
        c.failed++;
        bump(stats.queryFailures, code);
      }
      return;
    }

    c.ok++;
    if (mutation) {
      const written = outcome.data[kind] as { id: string; version: number } | null;
      if (written && typeof written.version === 'number') {
        observer.acknowledge(entityKeyOf(written.id), written.version, { at: receivedAt, sentAt, instance: api.name, operation: kind });
      }
      if (kind === 'addToCart' || kind === 'setCartItemQuantity' || kind === 'removeFromCart') rememberCart(customer.id, written as never);
    } else if (kind === 'me') {
      rememberCart(customer.id, outcome.data.me?.cart);
    }
  }

  await Promise.all(Array.from({ length: options.clients }, () => client(options.random.fork())));
  stats.stoppedAt = now();
  return stats;
}
