/**
 * The consistency checker (scripts/check-consistency.ts), short: its own
 * database, redis-server and two API processes, concurrent clients on both,
 * every kind of fault (Redis connections killed, Redis paused, Redis
 * restarted empty or from a snapshot older than the last acknowledged writes,
 * a backup from earlier restored, an API process SIGKILLed mid-write; Sentinel
 * and Cluster failovers, resharding), then the guarantees of the
 * write-through protocol: no read returns a version older than one already
 * acknowledged, and the cache converges to the database once quiet.
 */
import { describe, expect, it } from 'vitest';
import { formatReport, runConsistencyCheck } from '../scripts/consistency/index.js';
import { Observer } from '../scripts/consistency/observer.js';

describe('the observer', () => {
  it('counts a read as stale only when a higher version was acknowledged before the read started', () => {
    const observer = new Observer();
    const read = (version: number, startedAt: number) => observer.read('Product:1', version, { kind: 'product', startedAt, endedAt: startedAt + 10, instance: 'A' });
    observer.acknowledge('Product:1', 2, { at: 1000, sentAt: 900, instance: 'A', operation: 'updateProduct' });
    observer.acknowledge('Product:1', 4, { at: 2000, sentAt: 1900, instance: 'B', operation: 'adjustStock' });
    observer.acknowledge('Product:1', 3, { at: 3000, sentAt: 950, instance: 'A', operation: 'updateProduct' }); // a slow answer of an older version

    expect(read(1, 1000)).toBe(false); // v2 acknowledged at 1000, not before 1000
    expect(read(1, 1001)).toBe(true);
    expect(read(2, 1500)).toBe(false);
    expect(read(3, 2001)).toBe(true); // v4 acknowledged at 2000
    expect(read(4, 3001)).toBe(false); // v3 at 3000 does not lower the bar
    expect(observer.read('Product:2', 1, { kind: 'product', startedAt: 5000, endedAt: 5010, instance: 'A' })).toBe(false);

    // The first stale read missed a write made long after any fault; the second, one made during a Redis pause.
    const summary = observer.summary([
      { index: 1, kind: 'redis-restart', startedAt: -9000, endedAt: -5000, detail: '' },
      { index: 2, kind: 'redis-pause', startedAt: 1800, endedAt: 2500, detail: '' },
    ]);
    expect(summary).toMatchObject({ total: 2, checked: 6, byKind: { product: 2 }, byFault: { none: 1, 'redis-pause': 1 }, episodes: 2 });
  });
});

describe('consistency under concurrency and faults', () => {
  it('no stale read after an acknowledged write, and the cache converges to the database', async () => {
    const report = await runConsistencyCheck({
      durationSeconds: 30,
      clients: 8,
      seed: 1,
      faultIntervalMs: [1000, 2000],
      quietPeriodMs: 2000,
    });
    const text = formatReport(report);
    if (!report.passed) console.log(text);

    // The run did what it says: load on both instances, acknowledged writes, every kind of fault.
    expect(Object.keys(report.operations.byInstance).sort()).toEqual(['A', 'B']);
    expect(report.acknowledgedWrites).toBeGreaterThan(100);
    expect(Object.keys(report.faults.byKind).sort()).toEqual(['api-kill', 'redis-client-kill', 'redis-pause', 'redis-restart', 'redis-restart-persisted', 'stale-restore']);

    expect(report.staleReads.total, text).toBe(0);
    expect(report.divergence.divergentEntries, text).toBe(0);
    expect(report.lostAcknowledgedWrites.count, text).toBe(0);
  }, 180_000);
});

describe('consistency behind Sentinel, through failovers that lose acknowledged writes', () => {
  it('no stale read after an acknowledged write, and the cache converges to the database', async () => {
    const report = await runConsistencyCheck({
      topology: 'sentinel',
      durationSeconds: 35,
      clients: 8,
      seed: 3, // its first failover is one that loses writes (the replica cut off, the primary killed)
      faults: ['failover'],
      faultIntervalMs: [500, 1500],
      quietPeriodMs: 2000,
    });
    const text = formatReport(report);
    if (!report.passed) console.log(text);
    expect(report.faults.byKind.failover ?? 0, text).toBeGreaterThanOrEqual(2);
    expect(report.acknowledgedWrites).toBeGreaterThan(100);
    expect(report.staleReads.total, text).toBe(0);
    expect(report.divergence.divergentEntries, text).toBe(0);
    expect(report.lostAcknowledgedWrites.count, text).toBe(0);
  }, 300_000);
});

describe('consistency on a Redis Cluster, through failovers, resharding and restarts from old snapshots', () => {
  it('no stale read after an acknowledged write, and the cache converges to the database', async () => {
    const report = await runConsistencyCheck({
      topology: 'cluster',
      durationSeconds: 40,
      clients: 8,
      seed: 3, // its first failover is one that loses writes (the replica cut off, the master killed)
      faultIntervalMs: [500, 1500],
      quietPeriodMs: 2000,
    });
    const text = formatReport(report);
    if (!report.passed) console.log(text);
    expect(Object.keys(report.faults.byKind).sort(), text).toEqual(['api-kill', 'failover', 'redis-restart-persisted', 'reshard']);
    expect(report.acknowledgedWrites).toBeGreaterThan(100);
    expect(report.staleReads.total, text).toBe(0);
    expect(report.divergence.divergentEntries, text).toBe(0);
    expect(report.lostAcknowledgedWrites.count, text).toBe(0);
  }, 300_000);
});
