/**
 * The consistency checker (scripts/check-consistency.ts), short: its own
 * database, redis-server and two API processes, concurrent clients on both,
 * every kind of fault (Redis connections killed, Redis paused, Redis
 * restarted empty or from a snapshot older than the last acknowledged writes,
 * a backup from earlier restored, an API process SIGKILLed mid-write; Sentinel
 * and Cluster failovers, resharding), then the guarantees of the
 * write-through protocol: no read returns a version older than one already
 * acknowledged, and the cache converges to the database once quiet. With
 * writes that bypass the API beside the load (plain SQL on the checker's own
 * connection, captured by the triggers): none is missed by a read that starts
 * more than a second after its COMMIT, and with the pickup of captured changes
 * taken away (positive control), the same check reports stale reads.
 */
import { describe, expect, it } from 'vitest';
import { formatReport, runConsistencyCheck, type Report } from '../scripts/consistency/index.js';
import { Observer } from '../scripts/consistency/observer.js';

/** The report as text, printed if the run failed (the assertions carry it too). */
function described(report: Report): string {
  const text = formatReport(report);
  if (!report.passed) console.log(text);
  return text;
}

/** No stale read, no divergent entry, no lost acknowledged write. */
function expectGuarantees(report: Report, text: string): void {
  expect(report.staleReads.total, text).toBe(0);
  expect(report.divergence.divergentEntries, text).toBe(0);
  expect(report.lostAcknowledgedWrites.count, text).toBe(0);
}

describe('the observer', () => {
  it('counts a read as stale only when a higher version was acknowledged before the read started', () => {
    const observer = new Observer();
    const read = (version: number, startedAt: number) =>
      observer.read('Product:1', version, { kind: 'product', startedAt, endedAt: startedAt + 10, instance: 'A' });
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

  it('counts a version committed out of band as acknowledged only the window after its COMMIT, and apart', () => {
    const observer = new Observer({ outOfBandWindowMs: 1000 });
    const read = (version: number, startedAt: number, entity = 'User:1') =>
      observer.read(entity, version, { kind: 'me', startedAt, endedAt: startedAt + 10, instance: 'A' });
    observer.acknowledge('User:1', 2, { at: 500, sentAt: 400, instance: 'A', operation: 'updateProfile' });
    observer.committedOutOfBand('User:1', 3, { committedAt: 1000, commitSentAt: 999, operation: 'sql:user-name' }); // due at 2000
    observer.acknowledge('User:1', 4, { at: 3000, sentAt: 2900, instance: 'B', operation: 'updateProfile' }); // an API write after it

    expect(read(2, 1001)).toBe(false); // within the window: the version before is allowed
    expect(read(2, 1990)).toBe(false);
    expect(read(3, 1995)).toBe(false); // the first read of v3 (ends 2005: 1005 ms after the COMMIT)
    expect(read(2, 2001)).toBe(true); // past the window: stale, caused by the out-of-band write
    expect(read(3, 2500)).toBe(false);
    expect(read(3, 3001)).toBe(true); // below the API's v4: the API's rule, checked first
    expect(read(1, 3002)).toBe(true); // below both: counted as the API's
    // An out-of-band version committed after API acknowledgements with later times: sorted in by its due time.
    observer.acknowledge('Product:1', 5, { at: 1500, sentAt: 1400, instance: 'A', operation: 'updateProduct' });
    observer.committedOutOfBand('Product:1', 6, { committedAt: 1200, commitSentAt: 1199, operation: 'sql:product-price' }); // due at 2200
    expect(read(5, 2100, 'Product:1')).toBe(false);
    expect(read(5, 2300, 'Product:1')).toBe(true);
    expect(observer.highestAcknowledged().get('Product:1')?.version).toBe(6);

    const summary = observer.summary([]);
    expect(summary).toMatchObject({
      total: 4,
      checked: 9,
      byOrigin: { api: 2, 'out-of-band': 2 },
      outOfBand: { total: 2, episodes: 2, maxAfterCommitMs: 1100 },
    });
    expect(summary.examples.find((e) => e.origin === 'out-of-band')).toMatchObject({
      entity: 'User:1',
      versionRead: 2,
      versionAcknowledged: 3,
      committedAt: 1000,
      acknowledgedAt: 2000,
      acknowledgingInstance: 'sql',
    });
    // v3 of User:1 first read at 2005 (1005 ms after its COMMIT), and an older one still at 2001 and 3002 (2002 ms after);
    // v6 of Product:1 never read (v5 only, up to 1100 ms after its COMMIT).
    expect(observer.outOfBandVisibility()).toEqual({ writes: 2, read: 1, firstReadMedianMs: 1005, firstReadMaxMs: 1005, olderReadMaxMs: 2002 });
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
    const text = described(report);

    // The run did what it says: load on both instances, acknowledged writes, every kind of fault.
    expect(Object.keys(report.operations.byInstance).sort()).toEqual(['A', 'B']);
    expect(report.acknowledgedWrites).toBeGreaterThan(100);
    expect(Object.keys(report.faults.byKind).sort()).toEqual([
      'api-kill',
      'redis-client-kill',
      'redis-pause',
      'redis-restart',
      'redis-restart-persisted',
      'stale-restore',
    ]);

    expectGuarantees(report, text);
  }, 180_000);
});

describe('writes that bypass the API: plain SQL on a connection of its own beside the load', () => {
  it('no read that starts more than a second after an out-of-band COMMIT returns an older version, and the cache converges', async () => {
    const report = await runConsistencyCheck({
      durationSeconds: 20,
      clients: 8,
      seed: 2,
      faults: [],
      quietPeriodMs: 1000,
      outOfBandRate: 10,
    });
    const text = described(report);
    expect(report.outOfBand!.writes, text).toBeGreaterThan(100);
    expect(Object.keys(report.outOfBand!.byKind).sort(), text).toEqual([
      'cart-item-delete',
      'cart-item-insert',
      'cart-item-quantity',
      'product-price',
      'product-stock',
      'user-name',
    ]);
    // The reads saw the new versions: most out-of-band versions were read back after their COMMIT.
    expect(report.outOfBand!.visibility.read, text).toBeGreaterThan(report.outOfBand!.writes * 0.8);
    expect(report.acknowledgedWrites).toBeGreaterThan(100);

    expectGuarantees(report, text);
  }, 120_000);

  it('positive control: with the pickup of captured changes taken away, the same check reports stale reads', async () => {
    // No NOTIFY heard and no poll: a captured change reaches the cache only when an API write to the
    // same entity replaces the entry. Few clients, so that the load's own writes (which read the row
    // back and so publish the captured change too) do not repair every entry within the window: with
    // 8 clients on a fast API they once did, and the control found nothing.
    const report = await runConsistencyCheck({
      durationSeconds: 8,
      clients: 2,
      seed: 2,
      faults: [],
      quietPeriodMs: 500,
      convergenceTimeoutMs: 0,
      outOfBandRate: 30,
      // No reconciler pass at all: the poll every 10 minutes, and a change listener that cannot connect, so
      // no wake either (not even the one after a LISTEN, which a failed pass would now keep retrying).
      apiEnv: { RECONCILE_INTERVAL_MS: '600000', DIRECT_DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/nowhere' },
    });
    const text = formatReport(report);
    expect(report.passed, text).toBe(false);
    // The symptoms of captured changes that nothing publishes: reads of an older version more than the
    // window after a COMMIT, or entries left behind the database at the end. Which shows depends on
    // how often the load's own writes happen to republish the same entities (a small hot set).
    expect(report.staleReads.outOfBand.total + report.divergence.divergentEntries, text).toBeGreaterThan(0);
    expect(report.staleReads.total - report.staleReads.outOfBand.total, text + '\nstale reads after API writes').toBe(0);
    expect(report.outOfBand!.staleReads.total, text).toBe(report.staleReads.outOfBand.total);
  }, 120_000);
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
    const text = described(report);
    expect(report.faults.byKind.failover ?? 0, text).toBeGreaterThanOrEqual(2);
    expect(report.acknowledgedWrites).toBeGreaterThan(100);
    expectGuarantees(report, text);
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
    const text = described(report);
    expect(Object.keys(report.faults.byKind).sort(), text).toEqual(['api-kill', 'failover', 'redis-restart-persisted', 'reshard']);
    expect(report.acknowledgedWrites).toBeGreaterThan(100);
    expectGuarantees(report, text);
  }, 300_000);
});
