/**
 * The benchmark (scripts/bench.ts), as a smoke run: a tiny data set, every
 * mode of the API in turn, short measurements. It checks that the benchmark
 * runs and counts what it should per request, not speed: the cart of 20 items
 * costs write-through exactly one Redis round trip for its products and no
 * database query when warm, the naive mode shows its N+1, and the report is
 * written.
 *
 * The reference points run too: `raw-http` (node:http answering the API's
 * bytes) and `bare-apollo` (the framework with constant resolvers). Each must
 * answer the API's answers byte for byte, be measured for the product by id
 * and the cart, and be in the report, with the goals against bare Apollo
 * evaluated (met or missed, not n/a): the test fails if one goes missing.
 *
 * Every mode includes `write-through-cluster`: the same API on a Redis Cluster
 * (3 masters, 3 replicas) the benchmark starts and removes. There the cart of
 * 20 must cost exactly one read round trip for its products on each node they
 * touch (per the API's per-node counter) and none elsewhere: a store that sent
 * one round trip per hash slot instead of per node fails this test.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MODES, runBenchmark, type Mode } from '../scripts/bench/index.js';
import { assessScaling } from '../scripts/bench/scaling.js';

describe('the benchmark, smoke run', () => {
  it('runs every mode, measures each, and counts the costs per request', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'bench-smoke-'));
    try {
      const results = await runBenchmark({
        smoke: true,
        workloads: ['balanced'],
        out,
        ...(process.env.TEST_DATABASE_URL && { postgresUrl: process.env.TEST_DATABASE_URL }),
        ...(process.env.TEST_REDIS_URL && { redisUrl: process.env.TEST_REDIS_URL }),
      });
      const mode = (name: Mode) => results.modes.find((m) => m.mode === name)!;

      // Every mode ran, none failed.
      expect(results.modes.map((m) => [m.mode, m.error])).toEqual(MODES.map((m) => [m, null]));
      for (const m of results.modes) expect(m.missingCounters, m.mode).toEqual([]);

      // Both reference points ran on the first mode's answers, answered them byte for byte, and were
      // measured for the product by id and the cart (no error, the server's CPU per request known).
      expect(results.references.map((r) => [r.reference, r.error, r.answersFrom])).toEqual([
        ['raw-http', null, 'write-through'],
        ['bare-apollo', null, 'write-through'],
      ]);
      const reference = (name: string) => results.references.find((r) => r.reference === name)!;
      for (const r of results.references) {
        expect(r.sameBytes, r.reference).toEqual({ product: true, cart: true });
        expect(r.answerBytes.cart!, r.reference).toBeGreaterThan(r.answerBytes.product! * 10);
        for (const op of ['product', 'cart'] as const) {
          const load = r.operations[op];
          expect(load, `${r.reference} ${op}`).toBeTruthy();
          expect(load!.requests, `${r.reference} ${op}`).toBeGreaterThan(0);
          expect(load!.ok, `${r.reference} ${op}`).toBe(load!.requests);
          expect(load!.errors, `${r.reference} ${op}`).toEqual({});
          expect(load!.perRequest?.apiCpuMs, `${r.reference} ${op}`).toBeGreaterThan(0);
        }
      }
      // node:http sending bytes costs far less CPU per request than Apollo resolving a query.
      expect(reference('raw-http').operations.product!.perRequest!.apiCpuMs!).toBeLessThan(reference('bare-apollo').operations.product!.perRequest!.apiCpuMs!);
      // The modes' product and cart alone, against them: the goals of the issue are evaluated.
      expect(mode('write-through').operations.product!.ok).toBeGreaterThan(0);
      expect(mode('write-through').operations.cart!.ok).toBeGreaterThan(0);
      for (const id of ['product-vs-bare-apollo', 'cart-vs-bare-apollo']) {
        const goal = results.goals.find((g) => g.id === id);
        expect(goal?.status, id).toMatch(/^(met|missed)$/);
        expect(goal!.value, id).toBeGreaterThan(0);
      }

      // Write-through, warm: the cart of 20 items reads its products in one Redis round trip, and never PostgreSQL.
      const wt = mode('write-through');
      const cart = wt.probes.cart!.counts!;
      const cartOnly = wt.probes.cartOnly!.counts!;
      expect(cart.cacheReadRoundTrips! - cartOnly.cacheReadRoundTrips!).toBe(1);
      expect(cart.dbQueries).toBe(0);
      expect(wt.probes.product!.counts).toMatchObject({ dbQueries: 0, cacheReadRoundTrips: 1, cacheWriteRoundTrips: 0 });
      expect(results.goals.find((g) => g.id === 'cart-product-round-trips')?.status).toBe('met');
      expect(results.goals.find((g) => g.id === 'cart-db-queries')?.status).toBe('met');

      // No cache: no Redis at all. Naive: one query per item (the N+1 the others batch away).
      expect(mode('no-cache').probes.cart!.counts).toMatchObject({ cacheReadRoundTrips: 0, cacheWriteRoundTrips: 0 });
      expect(mode('naive').probes.cart!.counts!.dbQueries!).toBeGreaterThan(mode('no-cache').probes.cart!.counts!.dbQueries! + 15);

      // Cache-aside, write-through and no-cache report numbers for the mix.
      for (const name of ['write-through', 'cache-aside', 'no-cache'] as const) {
        const load = mode(name).workloads.balanced?.load;
        expect(load, name).toBeTruthy();
        expect(load!.requests, name).toBeGreaterThan(0);
        expect(load!.ok, name).toBeGreaterThan(0);
        expect(load!.latencyMs.p50, name).toBeGreaterThan(0);
        expect(load!.perRequest?.dbQueries, name).not.toBeNull();
        expect(load!.perRequest?.redisRoundTrips, name).not.toBeNull();
        expect(load!.versionsChecked, name).toBeGreaterThan(0);
        expect(load!.byOperation.addToCart?.ok, name).toBeGreaterThan(0);
        expect(load!.byOperation.cart?.ok, name).toBeGreaterThan(0);
      }
      expect(mode('cache-aside').workloads.balanced!.load!.perRequest!.hitRatio).not.toBeNull();
      // Write-through never lets a client read a version older than one acknowledged.
      expect(wt.staleReads.total).toBe(0);

      // The ceiling answers reads from rows decoded in memory, with no store at all, and refuses the rest: n/a, not failures.
      const ceiling = mode('ceiling');
      expect(ceiling.supported).toMatchObject({ product: true, cart: true, page: false, addToCart: false, updateProduct: false });
      for (const op of ['product', 'cart'] as const) {
        expect(ceiling.probes[op]!.counts, op).toMatchObject({ dbQueries: 0, cacheReadRoundTrips: 0, cacheWriteRoundTrips: 0, hitRatio: 1 });
        expect(ceiling.operations[op]!.ok, op).toBe(ceiling.operations[op]!.requests);
      }
      // Its scaling carts (up to 100 items) were preloaded too.
      expect(ceiling.scaling.map((p) => p.supported)).toEqual([true, true, true]);
      for (const workload of Object.values(ceiling.workloads)) expect(workload.supported).toBe(false);

      // The same cart, node by node: on one Redis, one round trip on the one node.
      const singleTrips = wt.cartTripsByNode!;
      expect(singleTrips.error).toBeNull();
      expect(singleTrips.met).toBe(true);
      for (const user of singleTrips.users) expect(user.nodes.map((n) => [n.node, n.productKeys, n.productReads])).toEqual([['redis', 20, 1]]);

      // On the Redis Cluster: the products of the cart cost exactly one read round trip on each
      // node their keys live on (several nodes: the check means something), none on the others.
      const onCluster = mode('write-through-cluster');
      expect(onCluster.redis).toMatchObject({ kind: 'cluster' });
      if (onCluster.redis?.kind === 'cluster') expect(onCluster.redis.masters).toHaveLength(3);
      const trips = onCluster.cartTripsByNode!;
      expect(trips.error).toBeNull();
      expect(trips.epoch).toBeGreaterThanOrEqual(1);
      expect(trips.users.length).toBeGreaterThan(0);
      // The keys computed for each node are on that node: the slot map and the key names are right.
      expect(trips.keysFound).toBe(trips.keysExpected);
      for (const user of trips.users) {
        expect(user.nodesTouched, `user ${user.userId}`).toBeGreaterThanOrEqual(2);
        for (const n of user.nodes) expect([n.node, n.productReads], `user ${user.userId}`).toEqual([n.node, n.productKeys > 0 ? 1 : 0]);
        expect(user.productReadRoundTrips, `user ${user.userId}`).toBe(user.nodesTouched);
      }
      expect(trips.maxPerNodeTouched).toBe(1);
      expect(trips.met).toBe(true);
      expect(results.goals.find((g) => g.id === 'cluster-cart-round-trips')?.status).toBe('met');
      // Compared with one Redis in the same run; no stale read on the cluster either.
      const balanced = results.cluster!.rows.find((r) => r.name === 'balanced')!;
      expect(balanced.single?.rps).toBeGreaterThan(0);
      expect(balanced.cluster?.rps).toBeGreaterThan(0);
      expect(balanced.rpsRatio).toBeGreaterThan(0);
      expect(balanced.p99Ratio).toBeGreaterThan(0);
      expect(onCluster.workloads.balanced!.load!.ok).toBeGreaterThan(0);
      expect(onCluster.staleReads.total).toBe(0);

      // Scaling: flat round trips for the batched modes, growing ones for naive.
      expect(wt.scaling.map((p) => p.size)).toEqual([1, 10, 100]);
      expect(assessScaling(wt.scaling).roundTripsFlat).toBe(true);
      expect(assessScaling(mode('no-cache').scaling).roundTripsFlat).toBe(true);
      expect(assessScaling(mode('naive').scaling).roundTripsFlat).toBe(false);

      // The report.
      const readme = readFileSync(path.join(out, 'README.md'), 'utf8');
      expect(readme).toContain('## Goals');
      // The reference points in the report, next to the modes, for the product and the cart; the goals against bare Apollo.
      const start = readme.indexOf("## Reference points: the machine's and the framework's limits");
      expect(start).toBeGreaterThan(0);
      const section = readme.slice(start, readme.indexOf('\n## ', start));
      expect(section.match(/^### .*$/gm)).toEqual(['### one product by id', '### a cart of 20 items with their products']);
      // In each table: the two references (raw-http 1.00x itself, bare-apollo 1.00x itself, both the API's bytes), then the modes.
      expect(section.match(/^\| raw-http \| [\d,]+ \| [\d.]+x \| 1\.00x \| .* \| yes \|/gm)).toHaveLength(2);
      expect(section.match(/^\| bare-apollo \| [\d,]+ \| 1\.00x \| [\d.]+x \| .* \| yes \|/gm)).toHaveLength(2);
      for (const name of ['write-through', 'ceiling'])
        expect(section.match(new RegExp(`^\\| ${name} \\| [\\d,]+ \\| [\\d.]+x \\| [\\d.]+x \\|`, 'gm')), name).toHaveLength(2);
      expect(readme).toMatch(/\| Warm, one product by id: write-through throughput vs bare Apollo[^|]*\| ≥ 0\.8x \| [\d.]+x \| (✅ met|❌ missed)/);
      expect(readme).toMatch(/\| Cart of 20 items: write-through throughput vs bare Apollo[^|]*\| ≥ 0\.6x \| [\d.]+x \| (✅ met|❌ missed)/);
      expect(readme).toContain('The ceiling is a ceiling by construction.');
      expect(readme).toContain('### balanced (50/50)');
      expect(readme).toContain('## Redis Cluster against one Redis (write-through)');
      expect(readme).toMatch(/products of every cart read cost at most 1 read round trip per node they touch.*\*\*met\*\*/);
      expect(readFileSync(path.join(out, 'throughput.svg'), 'utf8')).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      expect(readFileSync(path.join(out, 'scaling.svg'), 'utf8')).toMatch(/^<svg/);
      const json = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8'));
      expect(json.modes).toHaveLength(MODES.length);
      expect(json.references.map((r: { reference: string }) => r.reference)).toEqual(['raw-http', 'bare-apollo']);
      expect(json.cluster.cartTrips.cluster.met).toBe(true);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 420_000);

  it('with --profile, tells where the API spent its CPU during each measurement, with a flame graph', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'bench-profile-'));
    try {
      const results = await runBenchmark({
        smoke: true,
        modes: ['write-through'],
        workloads: ['balanced'],
        references: [],
        scalingSizes: [1],
        profile: true,
        out,
        ...(process.env.TEST_DATABASE_URL && { postgresUrl: process.env.TEST_DATABASE_URL }),
        ...(process.env.TEST_REDIS_URL && { redisUrl: process.env.TEST_REDIS_URL }),
      });
      const wt = results.modes[0]!;
      expect(wt.error).toBeNull();
      // The window of the measurement found its samples: CPU in the layers this mix goes through.
      const profile = wt.profiles.balanced!;
      expect(profile.requests).toBe(wt.workloads.balanced!.load!.requests);
      expect(profile.cpuMsPerRequest).toBeGreaterThan(0);
      for (const layer of ['Prisma Client', 'ioredis', 'GraphQL execution (graphql-js)', 'cache core (prisma-write-through)'] as const)
        expect(profile.byCategory[layer], layer).toBeGreaterThan(0);
      expect(profile.topFunctions.length).toBeGreaterThan(5);
      const svg = readFileSync(path.join(out, profile.flameGraph), 'utf8');
      expect(svg).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      expect(svg).toContain('processGraphQLRequest');
      expect(readFileSync(path.join(out, 'README.md'), 'utf8')).toContain('## Profiles');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);
});
