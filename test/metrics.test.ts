/** /metrics in Prometheus format: the counters move with the traffic that should move them. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './support/api.js';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api?.close());

/**
 * The value of one sample line (`name{labels} value`), summing if several match; 0 when absent
 * (a labelled counter not incremented yet), unless `required`: then an absent metric throws.
 */
async function sample(name: string, labels: Record<string, string> = {}, { required = false } = {}): Promise<number> {
  const text = await (await fetch(api.url.replace(/\/graphql$/, '/metrics'))).text();
  let total = 0;
  let found = false;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
    found = true;
  }
  if (required && !found) throw new Error(`metric ${name}${JSON.stringify(labels)} is missing from /metrics`);
  return total;
}

it('serves Prometheus text with the counters moving', async () => {
  const product = await api.product({ priceCents: 700 });
  const admin = await api.admin();
  await api.services.store.remove([`${api.namespace}Product:${product.id}`]);
  const before = {
    misses: await sample('storefront_cache_entity_misses_total', { entity: 'Product' }),
    hits: await sample('storefront_cache_entity_hits_total', { entity: 'Product' }),
    batches: await sample('storefront_dataloader_batch_size_count', { entity: 'Product' }),
    requests: await sample('storefront_graphql_requests_total', { operation: 'OneProduct', outcome: 'ok' }),
    writes: await sample('storefront_db_write_seconds_count', { outcome: 'committed' }),
    publishes: await sample('storefront_cache_write_seconds_count', { outcome: 'ok' }),
    queries: await sample('storefront_db_queries_total'),
  };
  const read = `query OneProduct($id: ID!) { product(id: $id) { priceCents } }`;
  await api.gql(read, { id: product.globalId }); // miss
  await api.gql(read, { id: product.globalId }); // hit
  await api.gql(`mutation($id: ID!) { updateProduct(input: { id: $id, priceCents: 800 }) { version } }`, { id: product.globalId }, admin.token);

  expect(await sample('storefront_cache_entity_misses_total', { entity: 'Product' })).toBe(before.misses + 1);
  expect(await sample('storefront_cache_entity_hits_total', { entity: 'Product' })).toBeGreaterThanOrEqual(before.hits + 1);
  expect(await sample('storefront_dataloader_batch_size_count', { entity: 'Product' })).toBeGreaterThanOrEqual(before.batches + 2);
  expect(await sample('storefront_graphql_requests_total', { operation: 'OneProduct', outcome: 'ok' })).toBe(before.requests + 2);
  expect(await sample('storefront_db_write_seconds_count', { outcome: 'committed' })).toBe(before.writes + 1);
  expect(await sample('storefront_cache_write_seconds_count', { outcome: 'ok' })).toBe(before.publishes + 1);
  expect(await sample('storefront_db_queries_total')).toBeGreaterThan(before.queries);
  expect(await sample('storefront_cache_hit_ratio')).toBeGreaterThan(0);
  // Nothing left to publish once the write is published (acknowledged outbox rows are deleted in 100 ms batches).
  await expect.poll(() => sample('storefront_outbox_backlog_rows', {}, { required: true }), { timeout: 2000 }).toBe(0);
});

it('counts errors by the code clients saw (a closed set), and shows the cache epoch and round trips per node', async () => {
  const before = {
    unauthenticated: await sample('storefront_graphql_errors_total', { code: 'UNAUTHENTICATED' }),
    validation: await sample('storefront_graphql_errors_total', { code: 'GRAPHQL_VALIDATION_FAILED' }),
    reads: await sample('storefront_cache_round_trips_total', { node: 'redis', kind: 'read' }),
  };
  await api.gql(`mutation { checkout { id } }`); // no token
  await api.gql(`{ nope }`);
  await api.gql(`{ products(first: 2) { edges { node { id } } } }`);
  expect(await sample('storefront_graphql_errors_total', { code: 'UNAUTHENTICATED' })).toBe(before.unauthenticated + 1);
  expect(await sample('storefront_graphql_errors_total', { code: 'GRAPHQL_VALIDATION_FAILED' })).toBe(before.validation + 1);
  expect(await sample('storefront_cache_round_trips_total', { node: 'redis', kind: 'read' })).toBeGreaterThan(before.reads);
  expect(await sample('storefront_cache_epoch')).toBe(api.services.cacheEpoch());
  // Checked before the first request: no read was answered fenced.
  expect(await sample('storefront_cache_fenced_reads_total', {}, { required: true })).toBe(0);
});
