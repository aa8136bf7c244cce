/**
 * /metrics stays bounded whatever clients send (no label value is taken from
 * a client without a cap), and it is not public on the API port in production.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { startServer, type ApiServer } from '../src/server/http.js';
import { createServices, type Services } from '../src/services.js';
import { startTestApi, type TestApi } from './support/api.js';
import { createTestDatabase } from './support/databases.js';

const PRODUCTION = { NODE_ENV: 'production', JWT_SECRET: 'a-production-secret-of-at-least-32-characters' };
const TOKEN = 'metrics-token-0123456789abcdef';

/** The series (sample lines) of one metric, e.g. `name{a="b"} 1`, histogram lines included. */
function series(text: string, name: string): string[] {
  return text
    .split('\n')
    .filter(
      (line) => line.startsWith(`${name}{`) || line.startsWith(`${name}_bucket{`) || line.startsWith(`${name}_sum{`) || line.startsWith(`${name}_count{`),
    );
}

/** The distinct values of one label across the series of one metric. */
function labelValues(text: string, name: string, label: string): Set<string> {
  const values = new Set<string>();
  for (const line of series(text, name)) {
    const match = new RegExp(`[{,]${label}="([^"]*)"`).exec(line);
    if (match) values.add(match[1]!);
  }
  return values;
}

/** The value of the one sample of `name` carrying these labels (0 when absent). */
function sampleOf(text: string, name: string, labels: Record<string, string>): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

/** Runs `count` tasks, `concurrency` at a time. */
async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

/**
 * The API's own series, without Node's process metrics (`storefront_nodejs_*`, `storefront_process_*`):
 * those gain series by themselves (a first major GC adds a histogram), whatever the clients send.
 */
const ownSeries = (text: string) =>
  text
    .split('\n')
    .filter((line) => !/^(# \w+ )?storefront_(nodejs|process)_/.test(line))
    .join('\n');

describe('label values that clients choose are bounded', () => {
  let api: TestApi;
  const metricsText = async () => (await fetch(api.url.replace(/\/graphql$/, '/metrics'))).text();
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api?.close());

  it('3,000 distinct operation names: at most METRICS_MAX_OPERATIONS (100) get a series, the rest share __other, and /metrics stops growing', async () => {
    const CAP = 100;
    const NAMES = 2750;
    expect((await api.gql('query Known { __typename }')).data).toEqual({ __typename: 'Query' });
    expect((await api.gql('{ __typename }')).data).toEqual({ __typename: 'Query' });
    const before = await metricsText();

    const sizes: number[] = [];
    const run = randomBytes(3).toString('hex');
    await pool(NAMES, 32, async (i) => {
      const res = await api.gql(`query Flood_${run}_${i} { __typename }`);
      expect(res.status).toBe(200);
    });
    sizes.push(ownSeries(await metricsText()).length);
    // 250 of the same names again, and 250 new ones (3,000 distinct names in all): nothing more to remember.
    const AGAIN = 500;
    await pool(AGAIN, 32, async (i) => {
      await api.gql(`query Flood_${run}_${i % 2 ? i : NAMES + i} { __typename }`);
    });
    // A name longer than a label may be, a reserved (__) one, and one the server knew before the flood.
    await api.gql(`query ${'L'.repeat(300)}_${run} { __typename }`);
    await api.gql('query __anonymous { __typename }');
    await api.gql('query Known { __typename }');
    const after = await metricsText();
    sizes.push(ownSeries(after).length);

    const operations = labelValues(after, 'storefront_graphql_requests_total', 'operation');
    expect(operations.size).toBeLessThanOrEqual(CAP + 2);
    expect(operations).toContain('__other');
    expect(operations).toContain('__anonymous');
    expect([...operations].every((op) => op.length <= 64)).toBe(true);
    expect(labelValues(after, 'storefront_graphql_operation_duration_seconds', 'operation').size).toBeLessThanOrEqual(CAP + 2);
    // Series, not only values: the counter per outcome, the histogram per bucket.
    expect(series(after, 'storefront_graphql_requests_total').length).toBeLessThanOrEqual((CAP + 2) * 2);
    expect(series(after, 'storefront_graphql_operation_duration_seconds').length).toBeLessThanOrEqual((CAP + 2) * 14);
    // Every request is still counted: the ones past the cap under __other; a known name keeps its own series.
    const total = [...operations].reduce((sum, operation) => sum + sampleOf(after, 'storefront_graphql_requests_total', { operation, outcome: 'ok' }), 0);
    const totalBefore = [...labelValues(before, 'storefront_graphql_requests_total', 'operation')].reduce(
      (sum, operation) => sum + sampleOf(before, 'storefront_graphql_requests_total', { operation, outcome: 'ok' }),
      0,
    );
    expect(total - totalBefore).toBe(NAMES + AGAIN + 3);
    expect(sampleOf(after, 'storefront_graphql_requests_total', { operation: 'Known', outcome: 'ok' })).toBe(2);
    // Past the cap, only names admitted before (at most CAP of them, sent in both rounds) keep their own series.
    expect(sampleOf(after, 'storefront_graphql_requests_total', { operation: '__other', outcome: 'ok' })).toBeGreaterThanOrEqual(NAMES + AGAIN - 2 * CAP + 2);
    // Bounded size: the last 500 requests added nothing, and the whole stays small.
    expect(sizes[1]!).toBeLessThanOrEqual(sizes[0]! + 512);
    expect(after.length).toBeLessThan(before.length + 250_000);
  }, 60_000);

  it('entity and retry-reason labels: only the configured entities and the known reasons get a series, any other name shares __other', async () => {
    // Not sent by clients today (loaders are named by the server, reasons are a closed set), but the cache
    // core reports any string it is given (CacheObserver, CacheStats.entities): the guard is the label set.
    const observer = api.services.metrics.observer as typeof api.services.metrics.observer & { transactionRetry(reason: string, retried: boolean): void };
    for (let i = 0; i < 3000; i++) {
      observer.loaderBatch?.(`Entity${i}`, 1, 0);
      api.services.stats.entities[`Entity${i}`] = { hits: 1, misses: 1 };
      observer.transactionRetry?.(`reason_${i}`, i % 2 === 0);
    }
    observer.transactionRetry?.('deadlock', true);
    await api.gql('{ products(first: 1) { edges { node { id } } } }');
    const text = await metricsText();
    for (const metric of ['storefront_dataloader_batch_size', 'storefront_cache_entity_hits_total', 'storefront_cache_entity_misses_total']) {
      const entities = labelValues(text, metric, 'entity');
      expect(
        [...entities].filter((e) => !['User', 'Product', 'Cart', '__other'].includes(e)),
        metric,
      ).toEqual([]);
    }
    expect(sampleOf(text, 'storefront_cache_entity_hits_total', { entity: '__other' })).toBe(3000);
    expect(sampleOf(text, 'storefront_dataloader_batch_size_count', { entity: '__other' })).toBe(3000);
    expect([...labelValues(text, 'storefront_transaction_retries_total', 'reason')].sort()).toEqual(['__other', 'deadlock']);
    expect(sampleOf(text, 'storefront_transaction_retries_total', { reason: '__other', outcome: 'retried' })).toBe(1500);
    expect(sampleOf(text, 'storefront_transaction_retries_total', { reason: 'deadlock', outcome: 'retried' })).toBe(1);
    expect(text.length).toBeLessThan(250_000);
  });
});

/** A server started like main.ts does, with a logger whose lines the test reads. */
async function startLogged(env: Record<string, string>) {
  const database = await createTestDatabase();
  const lines: string[] = [];
  const log = createLogger(
    'warn',
    new Writable({
      write: (chunk, _encoding, done) => {
        lines.push(String(chunk));
        done();
      },
    }),
  );
  const config = loadConfig({
    ...process.env,
    NODE_ENV: 'test',
    REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    DATABASE_URL: database.url,
    CACHE_NAMESPACE: `t${randomBytes(4).toString('hex')}:`,
    PORT: '0',
    ...env,
  });
  const services: Services = createServices(config, log);
  await services.ready(); // as the entry point does: the cache epoch checked before serving
  const server: ApiServer = await startServer(services, { port: 0 });
  let closed = false;
  return {
    server,
    lines,
    /** /metrics on the API port. */
    metrics: (headers: Record<string, string> = {}) => fetch(`${server.url}/metrics`, { headers }),
    async close() {
      if (closed) return;
      closed = true;
      await server.stop();
      await services.close();
      await database.drop();
    },
  };
}

describe('who may read /metrics', () => {
  const started: Awaited<ReturnType<typeof startLogged>>[] = [];
  const start = async (env: Record<string, string>) => {
    const api = await startLogged(env);
    started.push(api);
    return api;
  };
  afterAll(async () => {
    await Promise.all(started.map((api) => api.close()));
  });

  it('in production with neither METRICS_TOKEN nor METRICS_PORT: not served on the API port, and a warning says how to enable it', async () => {
    const api = await start(PRODUCTION);
    const response = await api.metrics();
    expect(response.status).toBe(404);
    expect(await response.text()).not.toMatch(/storefront_/);
    expect(api.lines.join('')).toMatch(/METRICS_TOKEN.*METRICS_PORT|METRICS_PORT.*METRICS_TOKEN/);
  });

  it('with METRICS_TOKEN: refused without the bearer token or with a wrong one, served with it', async () => {
    for (const env of [
      { ...PRODUCTION, METRICS_TOKEN: TOKEN },
      { NODE_ENV: 'development', METRICS_TOKEN: TOKEN },
    ]) {
      const api = await start(env);
      for (const headers of [
        {} as Record<string, string>,
        { authorization: `Bearer ${TOKEN}x` },
        { authorization: `Bearer ${TOKEN.slice(1)}` },
        { authorization: TOKEN },
        { authorization: `Basic ${TOKEN}` },
      ]) {
        const refused = await api.metrics(headers);
        expect(refused.status, `${env.NODE_ENV} ${JSON.stringify(headers)}`).toBe(401);
        expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer/);
        expect(await refused.text()).not.toMatch(/storefront_/);
      }
      const served = await api.metrics({ authorization: `Bearer ${TOKEN}` });
      expect(served.status).toBe(200);
      expect(await served.text()).toMatch(/storefront_graphql_requests_total|storefront_db_queries_total/);
    }
  });

  it('with METRICS_PORT: served only on that port (404 on the API port), with the token if one is set, and closed with the API server', async () => {
    const api = await start({ ...PRODUCTION, METRICS_PORT: '0' });
    expect((await api.metrics()).status).toBe(404);
    const metricsUrl = api.server.metricsUrl;
    expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(metricsUrl).not.toBe(api.server.url);
    const served = await fetch(`${metricsUrl}/metrics`);
    expect(served.status).toBe(200);
    expect(await served.text()).toMatch(/storefront_db_queries_total/);
    // The metrics port serves nothing else.
    expect(
      (await fetch(`${metricsUrl}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' })).status,
    ).toBe(404);

    const guarded = await start({ ...PRODUCTION, METRICS_PORT: '0', METRICS_TOKEN: TOKEN });
    expect((await fetch(`${guarded.server.metricsUrl}/metrics`)).status).toBe(401);
    expect((await fetch(`${guarded.server.metricsUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    expect((await guarded.metrics({ authorization: `Bearer ${TOKEN}` })).status).toBe(404);

    await api.close();
    await expect(fetch(`${metricsUrl}/metrics`)).rejects.toThrow();
  });

  it('development keeps a public /metrics on the API port when nothing is configured', async () => {
    const api = await start({ NODE_ENV: 'development' });
    expect((await api.metrics()).status).toBe(200);
    expect(api.server.metricsUrl).toBeNull();
  });

  it('refuses bad METRICS_* values at start with a message naming the variable', () => {
    expect(() => loadConfig({ METRICS_PORT: 'nine' })).toThrow(new ConfigError('METRICS_PORT must be an integer from 0 to 65535, got "nine"'));
    expect(() => loadConfig({ PORT: '4000', METRICS_PORT: '4000' })).toThrow(/METRICS_PORT must differ from PORT/);
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN must be 16 to 256 characters/);
    expect(() => loadConfig({ METRICS_TOKEN: `${'x'.repeat(20)} y` })).toThrow(/METRICS_TOKEN must be 16 to 256 characters/);
    expect(() => loadConfig({ METRICS_MAX_OPERATIONS: '-1' })).toThrow(/METRICS_MAX_OPERATIONS must be an integer from 0 to 10000/);
    const config = loadConfig({ METRICS_PORT: '9464', METRICS_TOKEN: TOKEN, METRICS_MAX_OPERATIONS: '20' });
    expect(config.metrics).toEqual({ port: 9464, token: TOKEN, maxOperations: 20 });
    expect(loadConfig({}).metrics).toEqual({ port: null, token: null, maxOperations: 100 });
  });
});
