/** The run's report, and its text rendering. */
import type { ConvergenceResult, DivergenceSnapshot } from './divergence.js';
import type { FaultKind, FaultRecord } from './faults.js';
import type { OutOfBandVisibility, StaleReadSummary } from './observer.js';
import type { OutcomeCounts } from './workload.js';

export interface Report {
  /** True when there were no stale reads, no divergent entries and no lost acknowledged writes. */
  passed: boolean;
  settings: {
    seed: number;
    clients: number;
    durationSeconds: number;
    maxOperations: number | null;
    /** `single` or `sentinel`. */
    topology: string;
    faults: FaultKind[];
    instances: { name: string; port: number }[];
    redisPort: number;
    database: string;
    namespace: string;
    /** What the API processes ran: a copy of src/ taken at the start (with its hash), or the working tree. */
    source: string;
    quietPeriodMs: number;
    convergenceTimeoutMs: number;
    /** The out-of-band SQL client's rate (writes/s) and window (ms after COMMIT); null without it. */
    outOfBand: { ratePerSecond: number; windowMs: number } | null;
    /** Environment given to the API processes over the checker's own (a positive control's switches). */
    apiEnv: Record<string, string>;
  };
  /** Whole run (setup, load, quiet period, convergence), in ms. */
  runDurationMs: number;
  /** The load alone, in ms. */
  loadDurationMs: number;
  operations: {
    total: number;
    /** By operation, then instance. */
    byKind: Record<string, Record<string, OutcomeCounts>>;
    byInstance: Record<string, number>;
    perSecond: number;
  };
  acknowledgedWrites: number;
  unknownOutcomes: { total: number; byReason: Record<string, number> };
  refusals: { total: number; byCode: Record<string, number> };
  queryFailures: { total: number; byReason: Record<string, number> };
  faults: {
    total: number;
    byKind: Record<string, number>;
    /** Ms since the run started; null without faults. */
    lastFaultEndedAt: number | null;
    log: (Omit<FaultRecord, 'startedAt' | 'endedAt'> & { startedAt: number; endedAt: number })[];
  };
  instances: { name: string; starts: number; kills: number; logFile: string }[];
  /** Stale reads of every origin: the out-of-band ones are `staleReads.outOfBand` (and `outOfBand.staleReads`). */
  staleReads: StaleReadSummary;
  /** The writes that bypassed the API (plain SQL, `--out-of-band`); null without them. */
  outOfBand: {
    /** Transactions committed (each changed one entity, whose version was read back). */
    writes: number;
    perSecond: number;
    byKind: Record<string, number>;
    /** Transactions that found nothing to change, rolled back. */
    noOps: number;
    failures: { total: number; byReason: Record<string, number> };
    /** The stale reads they caused: a read started more than the window after a COMMIT returned an older version. */
    staleReads: StaleReadSummary['outOfBand'];
    visibility: OutOfBandVisibility;
  } | null;
  divergence: {
    afterQuietPeriod: DivergenceSnapshot;
    final: DivergenceSnapshot;
    /** Entries divergent at the end (not converged within the bound): the figure that fails the run. */
    divergentEntries: number;
    /** Lease-like entries left after the quiet period (count as absent). */
    inFlightAfterQuietPeriod: number;
    converged: boolean;
    /** From the end of the last fault (Redis back up, API ready), or from the end of the load without faults, to convergence; null if it did not converge. */
    convergenceMs: number | null;
    convergenceMeasuredFrom: 'last fault' | 'end of load' | 'last out-of-band write';
    /** From the end of the load (when the checks start) to convergence; null if it did not converge. */
    convergenceAfterLoadMs: number | null;
    /** How long the load ran on after the last fault was over (the convergence time cannot be measured below it). */
    loadAfterLastFaultMs: number | null;
    checks: number;
  };
  /** Acknowledged versions that the database does not hold (a row at a lower version, or gone): must be 0. */
  lostAcknowledgedWrites: { count: number; examples: string[] };
  /** Error-level lines in the API logs, by message (e.g. failed cache writes after commit). */
  apiLogErrors: Record<string, number>;
  logDir: string | null;
}

export type { ConvergenceResult };

const pad = (s: string | number, n: number) => String(s).padStart(n);
const sec = (ms: number | null) => (ms === null ? 'n/a' : `${(ms / 1000).toFixed(2)} s`);
const list = (record: Record<string, number>) =>
  Object.entries(record).length === 0
    ? 'none'
    : Object.entries(record)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');

export function formatReport(report: Report): string {
  const out: string[] = [];
  const s = report.settings;
  const line = (text = '') => out.push(text);
  line(`Consistency check — ${report.passed ? 'PASSED' : 'FAILED'}`);
  line(
    `${s.topology} Redis, seed ${s.seed}, ${s.clients} clients, ${s.durationSeconds} s${s.maxOperations !== null ? `, at most ${s.maxOperations} operations` : ''}, ` +
      `faults: ${s.faults.length ? s.faults.join(', ') : 'none'}`,
  );
  line(`instances ${s.instances.map((i) => `${i.name}=:${i.port}`).join(' ')}, redis :${s.redisPort}, database ${s.database}, namespace ${s.namespace}`);
  line(`code under test: ${s.source}`);
  if (Object.keys(s.apiEnv).length)
    line(
      `API environment over the checker's: ${Object.entries(s.apiEnv)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}`,
    );
  line(`run ${sec(report.runDurationMs)} (load ${sec(report.loadDurationMs)})`);
  line();

  const instances = s.instances.map((i) => i.name);
  line(`Operations: ${report.operations.total} (${report.operations.perSecond.toFixed(0)}/s); by instance: ${list(report.operations.byInstance)}`);
  line(`  ${'operation'.padEnd(22)}${instances.map((n) => pad(n, 8)).join('')}${pad('ok', 8)}${pad('refused', 9)}${pad('unknown', 9)}${pad('failed', 8)}`);
  for (const [kind, byInstance] of Object.entries(report.operations.byKind).sort()) {
    const sum = { ok: 0, refused: 0, unknown: 0, failed: 0 };
    for (const c of Object.values(byInstance)) for (const k of Object.keys(sum) as (keyof OutcomeCounts)[]) sum[k] += c[k];
    const per = instances.map((n) => {
      const c = byInstance[n];
      return pad(c ? c.ok + c.refused + c.unknown + c.failed : 0, 8);
    });
    line(`  ${kind.padEnd(22)}${per.join('')}${pad(sum.ok, 8)}${pad(sum.refused, 9)}${pad(sum.unknown, 9)}${pad(sum.failed, 8)}`);
  }
  line(`Acknowledged writes: ${report.acknowledgedWrites}`);
  line(`Unknown outcomes (no answer or 5xx): ${report.unknownOutcomes.total} — ${list(report.unknownOutcomes.byReason)}`);
  line(`Refusals by code: ${report.refusals.total} — ${list(report.refusals.byCode)}`);
  line(`Failed queries: ${report.queryFailures.total} — ${list(report.queryFailures.byReason)}`);
  const oob = report.outOfBand;
  if (oob && s.outOfBand) {
    const v = oob.visibility;
    line(
      `Out-of-band SQL writes: ${oob.writes} (${oob.perSecond.toFixed(1)}/s, asked ${s.outOfBand.ratePerSecond}/s) — ${list(oob.byKind)}; ` +
        `${oob.noOps} no-ops, ${oob.failures.total} failed${oob.failures.total ? ` (${list(oob.failures.byReason)})` : ''}`,
    );
    line(
      `  first read of the new version: ${v.read} of ${v.writes} read again, ` +
        (v.read ? `median ${v.firstReadMedianMs} ms, worst ${v.firstReadMaxMs} ms from COMMIT to the answer (includes the wait for a read)` : 'none') +
        `; a version older than a COMMIT's still served to a read started ${v.olderReadMaxMs === null ? 'never' : `up to ${v.olderReadMaxMs} ms`} after it`,
    );
  }
  line();

  line(`Faults injected: ${report.faults.total} — ${list(report.faults.byKind)}`);
  if (report.faults.lastFaultEndedAt !== null) line(`  last fault over at ${sec(report.faults.lastFaultEndedAt)} into the run`);
  line(`API restarts: ${report.instances.map((i) => `${i.name} killed ${i.kills}×`).join(', ')}`);
  if (Object.keys(report.apiLogErrors).length) line(`API log errors: ${list(report.apiLogErrors)}`);
  line();

  const st = report.staleReads;
  line(
    `STALE READS: ${st.total} of ${st.checked} entity versions read (${st.episodes} distinct episodes, longest ${st.maxStalenessMs} ms after the acknowledgement)`,
  );
  if (s.outOfBand) {
    line(
      `  caused by out-of-band writes (a read started over ${s.outOfBand.windowMs} ms after a COMMIT): ${st.outOfBand.total}` +
        (st.outOfBand.total ? ` (${st.outOfBand.episodes} episodes, read started up to ${st.outOfBand.maxAfterCommitMs} ms after the COMMIT)` : '') +
        `; after API writes: ${st.byOrigin.api}`,
    );
  }
  if (st.total > 0) {
    line(`  by read: ${list(st.byKind)}`);
    line(`  by fault overlapping the acknowledged write that was missed: ${list(st.byFault)}`);
    line(`  examples (times in s since the run started):`);
    for (const e of st.examples) {
      line(
        `    ${e.entity} v${e.versionRead} read by ${e.kind} on ${e.instance} [${sec(e.readStartedAt)}–${sec(e.readEndedAt)}], ` +
          (e.committedAt !== undefined
            ? `but v${e.versionAcknowledged} committed by ${e.acknowledgingMutation} at ${sec(e.committedAt)} (due through the API by ${sec(e.acknowledgedAt)}); `
            : `but v${e.versionAcknowledged} acknowledged at ${sec(e.acknowledgedAt)} by ${e.acknowledgingMutation} on ${e.acknowledgingInstance} (sent ${sec(e.acknowledgingMutationSentAt)}); `) +
          `faults during that write: ${e.faultsDuringAcknowledgedWrite.join(', ') || 'none'}; last fault before the read: ${e.lastFaultBeforeRead ?? 'none'}`,
      );
    }
  }
  line();

  const d = report.divergence;
  const describe = (snap: DivergenceSnapshot) =>
    `${snap.keys} keys: ${snap.matching} matching, ${snap.tombstones} tombstones, ${snap.divergent} divergent, ${snap.inFlight} in flight` +
    (snap.inFlight ? ` (${list(snap.inFlightByType)}; e.g. ${snap.inFlightExamples.map((k) => `${k.key} ${k.type} ttl ${k.pttl} ms`).join(', ')})` : '') +
    (Object.keys(snap.other).length ? `, other keys: ${list(snap.other)}` : '');
  line(`Cache vs database after the quiet period (${s.quietPeriodMs} ms): ${describe(d.afterQuietPeriod)}`);
  line(`Cache vs database at the end: ${describe(d.final)}`);
  line(`DIVERGENT ENTRIES: ${d.divergentEntries}`);
  for (const e of d.final.examples) line(`    ${e.key}: ${e.reason}\n      cache: ${e.cached}\n      db:    ${e.database}`);
  line(
    d.converged
      ? `Convergence: ${sec(d.convergenceMs)} after the ${d.convergenceMeasuredFrom}` +
          (d.loadAfterLastFaultMs !== null && d.loadAfterLastFaultMs > 0 ? ` (the load ran ${sec(d.loadAfterLastFaultMs)} past it)` : '') +
          (d.convergenceMeasuredFrom === 'last fault' ? `, ${sec(d.convergenceAfterLoadMs)} after the load stopped` : '') +
          ` (${d.checks} checks every 100 ms)`
      : `Convergence: NOT converged within ${sec(s.convergenceTimeoutMs)} after the quiet period (${d.checks} checks)`,
  );
  line(
    `Lost acknowledged writes: ${report.lostAcknowledgedWrites.count}${report.lostAcknowledgedWrites.examples.length ? ` — ${report.lostAcknowledgedWrites.examples.join('; ')}` : ''}`,
  );
  if (report.logDir) line(`Logs: ${report.logDir}`);
  return out.join('\n');
}
