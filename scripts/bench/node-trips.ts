/**
 * Round trips per Redis node of the cart of 20 items: the issue's "at most one
 * round trip per node it touches", measured on the API's own per-node counter
 * (`storefront_cache_round_trips_total{node,kind="read"}` at /metrics).
 *
 * For a few users, warm, one request at a time, each between two reads of
 * /metrics: the cart with its 20 products, and the same user's cart alone.
 * Per node, the median difference of the read counter is what one request
 * costs there; cart minus cart-alone is what its 20 products cost. Which
 * nodes the 20 product keys live on is computed independently of the API:
 * the key names (`<namespace>[e<epoch>:]Product:<id>`, the epoch from the
 * API's `storefront_cache_epoch` gauge), their hash slots (`cluster-key-slot`)
 * and the cluster's `CLUSTER SLOTS`; and checked, by asking each node whether
 * it holds the keys computed for it (`EXISTS`, on that node alone).
 */
import { Redis } from 'ioredis';
import { nodesOfKeys, type SlotRange } from './cluster.js';
import { scrapeNodes, type NodeRoundTrips } from './metrics.js';
import { DOCUMENTS, type PreparedRequest } from './operations.js';
import { send } from './probe.js';
import type { BenchUser } from './seed.js';
import type { VersionSink } from './versions.js';

/** The Redis the API under test uses: one node (its URL), or a cluster (its slot map). */
export type RedisTarget = { kind: 'single'; url: string } | { kind: 'cluster'; nodes: string[]; slots: SlotRange[] };

/** One node's share of one user's cart read. Round trips are medians over the samples, per request. */
export interface NodeCartTrips {
  /** `host:port` of the master (on a cluster), or `redis` (one node). */
  node: string;
  /** How many of the cart's product keys live on this node (by slot). */
  productKeys: number;
  /** Distinct hash slots of those keys. */
  slots: number;
  /** Of those keys, how many this node said it holds (`EXISTS` on the node itself); null if it could not be asked. */
  found: number | null;
  /** Read round trips to this node of the cart with its products. */
  cartReads: number;
  /** Read round trips to this node of the same user's cart without its products. */
  cartOnlyReads: number;
  /** `cartReads - cartOnlyReads`: those for the products. */
  productReads: number;
}

/** One user's cart, node by node. */
export interface UserCartTrips {
  userId: number;
  /** Distinct products in the cart (keys read for its products). */
  productKeys: number;
  /** Every node that holds a product key or got a read round trip, sorted by name. */
  nodes: NodeCartTrips[];
  /** Nodes holding at least one of the product keys. */
  nodesTouched: number;
  /** Sum of `productReads` over the nodes. */
  productReadRoundTrips: number;
  /** The largest `productReads` of a node touched. */
  maxPerNodeTouched: number;
  /** `productReads` summed over nodes that hold none of the product keys (should be 0). */
  untouchedNodeRoundTrips: number;
}

/** The result of `probeCartTripsByNode`. */
export interface CartTripsByNode {
  topology: 'single' | 'cluster';
  /** The cache epoch the API used (it prefixes every key after the first epoch). */
  epoch: number | null;
  /** Counted samples per user and request kind (medians are taken over them). */
  samples: number;
  users: UserCartTrips[];
  /** The worst `maxPerNodeTouched` over the users (the goal: at most 1). */
  maxPerNodeTouched: number | null;
  /** Summed over the users (the goal: 0). */
  untouchedNodeRoundTrips: number | null;
  /** Product keys found on the node computed for them, over all users; with `keysExpected`. */
  keysFound: number | null;
  keysExpected: number;
  /**
   * True when every user's products cost at most one read round trip on each
   * node they touch, none elsewhere, and at least one in all (a zero would mean
   * the counter did not see the read); null when /metrics lacks the counter.
   */
  met: boolean | null;
  /** Why it could not be measured or its key placement could not be verified (then `met` is null). */
  error: string | null;
}

export interface CartTripsOptions {
  baseUrl: string;
  /** Label of the API instance (for the stale-read observer). */
  instance: string;
  /** The users whose carts are read (their `cart` lists the product ids). */
  users: readonly BenchUser[];
  /** The API's CACHE_NAMESPACE. */
  namespace: string;
  redis: RedisTarget;
  /** Counted samples per user and request kind. @default 5 */
  samples?: number;
  versions?: VersionSink;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** The API's key of a product, as packages/prisma-write-through/src/keys.ts and the epoch fence (packages/prisma-write-through/src/epoch.ts) build it. */
export function productKey(namespace: string, epoch: number | null, id: number): string {
  return `${namespace}${epoch !== null && epoch > 1 ? `e${epoch}:` : ''}Product:${id}`;
}

/** How many of `keys` the node at `address` (`redis://…` or `host:port`) holds, asked on that node alone; null if it cannot be asked. */
async function keysOnNode(address: string, keys: readonly string[]): Promise<number | null> {
  if (keys.length === 0) return 0;
  const client = address.includes('://')
    ? new Redis(address, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 5000, commandTimeout: 5000 })
    : new Redis({
        host: address.split(':')[0]!,
        port: Number(address.split(':')[1]),
        lazyConnect: true,
        maxRetriesPerRequest: 1,
        connectTimeout: 5000,
        commandTimeout: 5000,
      });
  client.on('error', () => {});
  try {
    await client.connect();
    const pipeline = client.pipeline();
    for (const key of keys) pipeline.exists(key);
    // A key of a slot this node does not serve answers MOVED: not here.
    return ((await pipeline.exec()) ?? []).filter(([error, value]) => !error && value === 1).length;
  } catch {
    return null;
  } finally {
    client.disconnect();
  }
}

/** Read round trips per node between two readings of the counter. */
function readDelta(before: NodeRoundTrips, after: NodeRoundTrips): Map<string, number> {
  const out = new Map<string, number>();
  for (const [node, { read }] of after) out.set(node, read - (before.get(node)?.read ?? 0));
  return out;
}

/**
 * Measures, for each of `users`, the read round trips per Redis node of one
 * warm request of the cart with its products, of the cart alone, and their
 * difference (the products'), and which nodes the product keys live on; see
 * the file's comment. Sends 2 uncounted requests of each kind per user first.
 *
 * Never rejects for the API's or the measurement's sake: a failure (no /metrics,
 * a request answered with an error) is returned in `error`, with `met` null.
 */
export async function probeCartTripsByNode(options: CartTripsOptions): Promise<CartTripsByNode> {
  const { baseUrl, instance, redis, namespace } = options;
  const samples = options.samples ?? 5;
  const out: CartTripsByNode = {
    topology: redis.kind,
    epoch: null,
    samples,
    users: [],
    maxPerNodeTouched: null,
    untouchedNodeRoundTrips: null,
    keysFound: null,
    keysExpected: 0,
    met: null,
    error: null,
  };
  const cart = (token: string): PreparedRequest => ({ op: 'cart', query: DOCUMENTS.cart, variables: {}, token });
  const cartOnly = (token: string): PreparedRequest => ({ op: 'cartOnly', query: DOCUMENTS.cartOnly, variables: {}, token });
  /** Read round trips per node of one request (counter difference around it). */
  const measure = async (request: PreparedRequest): Promise<Map<string, number>> => {
    const before = await scrapeNodes(baseUrl);
    const { code } = await send(baseUrl, request, options.versions, instance);
    const after = await scrapeNodes(baseUrl);
    if (code !== null) throw new Error(`${request.op} answered ${code}`);
    if (before.epoch !== after.epoch) throw new Error(`the cache epoch changed during the probe (${before.epoch} to ${after.epoch})`);
    return readDelta(before.byNode, after.byNode);
  };
  try {
    if (options.users.length === 0) throw new Error('no user to read the cart of');
    const { epoch } = await scrapeNodes(baseUrl);
    if (epoch === null || epoch < 1) throw new Error(`no cache epoch in use (storefront_cache_epoch ${epoch}): the API does not read Redis`);
    out.epoch = epoch;
    let found = 0;
    let askable = true;
    for (const user of options.users) {
      for (let i = 0; i < 2; i++) {
        await send(baseUrl, cartOnly(user.token), options.versions, instance);
        await send(baseUrl, cart(user.token), options.versions, instance);
      }
      const withProducts: Map<string, number>[] = [];
      const alone: Map<string, number>[] = [];
      for (let i = 0; i < samples; i++) {
        alone.push(await measure(cartOnly(user.token)));
        withProducts.push(await measure(cart(user.token)));
      }
      const keys = [...new Set(user.cart)].map((id) => productKey(namespace, epoch, id));
      const placement = nodesOfKeys(redis.kind === 'cluster' ? redis.slots : [], keys);
      const names = [...new Set([...placement.keys(), ...withProducts.flatMap((m) => [...m.keys()]), ...alone.flatMap((m) => [...m.keys()])])].sort();
      const nodes: NodeCartTrips[] = [];
      for (const node of names) {
        const here = placement.get(node);
        const cartReads = median(withProducts.map((m) => m.get(node) ?? 0));
        const cartOnlyReads = median(alone.map((m) => m.get(node) ?? 0));
        const onNode = here ? await keysOnNode(redis.kind === 'single' ? redis.url : node, here.keys) : 0;
        if (onNode === null) askable = false;
        else found += here ? onNode : 0;
        nodes.push({
          node,
          productKeys: here?.keys.length ?? 0,
          slots: here?.slots.size ?? 0,
          found: onNode,
          cartReads,
          cartOnlyReads,
          productReads: cartReads - cartOnlyReads,
        });
      }
      // Nodes that hold no product key and got no round trip add nothing to read.
      const shown = nodes.filter((n) => n.productKeys > 0 || n.cartReads > 0 || n.cartOnlyReads > 0);
      const touched = shown.filter((n) => n.productKeys > 0);
      out.keysExpected += keys.length;
      out.users.push({
        userId: user.id,
        productKeys: keys.length,
        nodes: shown,
        nodesTouched: touched.length,
        productReadRoundTrips: shown.reduce((n, x) => n + x.productReads, 0),
        maxPerNodeTouched: Math.max(0, ...touched.map((n) => n.productReads)),
        untouchedNodeRoundTrips: shown.filter((n) => n.productKeys === 0).reduce((n, x) => n + Math.max(0, x.productReads), 0),
      });
    }
    out.keysFound = askable ? found : null;
    out.maxPerNodeTouched = Math.max(...out.users.map((u) => u.maxPerNodeTouched));
    out.untouchedNodeRoundTrips = out.users.reduce((n, u) => n + u.untouchedNodeRoundTrips, 0);
    // Keys missing from the node computed for them: the key names or the slot map are wrong, so is "touched".
    if (out.keysFound !== null && out.keysFound < out.keysExpected) {
      throw new Error(`only ${out.keysFound} of ${out.keysExpected} product keys were found on the node their slot maps to (key names or slot map wrong)`);
    }
    out.met = out.users.every((u) => u.maxPerNodeTouched <= 1 && u.untouchedNodeRoundTrips === 0 && u.productReadRoundTrips >= 1);
  } catch (error) {
    out.error = error instanceof Error ? error.message : String(error);
  }
  return out;
}
