/**
 * The benchmark (scripts/bench.ts), as a smoke run: a tiny data set, every
 * mode of the API in turn, short measurements. It checks that the benchmark
 * runs and counts what it should per request, not speed: the cart of 20 items
 * costs write-through exactly one Redis round trip for its products and no
 * database query when warm, the naive mode shows its N+1, and the report is
 * written.
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

      // The ceiling answers reads from memory and refuses the rest: n/a, not failures.
      const ceiling = mode('ceiling');
      expect(ceiling.supported).toMatchObject({ product: true, cart: true });
      expect(ceiling.probes.cart!.counts!.dbQueries).toBe(0);
      for (const workload of Object.values(ceiling.workloads)) expect(workload.supported).toBe(false);

      // Scaling: flat round trips for the batched modes, growing ones for naive.
      expect(wt.scaling.map((p) => p.size)).toEqual([1, 10, 100]);
      expect(assessScaling(wt.scaling).roundTripsFlat).toBe(true);
      expect(assessScaling(mode('no-cache').scaling).roundTripsFlat).toBe(true);
      expect(assessScaling(mode('naive').scaling).roundTripsFlat).toBe(false);

      // The report.
      const readme = readFileSync(path.join(out, 'README.md'), 'utf8');
      expect(readme).toContain('## Goals');
      expect(readme).toContain('### balanced (50/50)');
      expect(readFileSync(path.join(out, 'throughput.svg'), 'utf8')).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      expect(readFileSync(path.join(out, 'scaling.svg'), 'utf8')).toMatch(/^<svg/);
      expect(JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')).modes).toHaveLength(MODES.length);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 300_000);

  it('with --profile, tells where the API spent its CPU during each measurement, with a flame graph', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'bench-profile-'));
    try {
      const results = await runBenchmark({
        smoke: true,
        modes: ['write-through'],
        workloads: ['balanced'],
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
      for (const layer of ['Prisma Client', 'ioredis', 'GraphQL execution (graphql-js)', 'cache core (src/cache)'] as const) expect(profile.byCategory[layer], layer).toBeGreaterThan(0);
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
