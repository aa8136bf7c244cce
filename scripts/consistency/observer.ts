/**
 * The observer: version bookkeeping and stale-read counting.
 *
 * For every entity key (`Product:3`, `User:5`, `Cart:5`) it keeps each
 * version acknowledged to a client (a mutation that answered success, with
 * the version in its answer) and when. A read that STARTED at time t and
 * returned version v of an entity is STALE if a version above v had been
 * acknowledged before t (guarantee 1 of the write-through protocol: no stale
 * reads after acknowledgement, on any instance).
 *
 * Writes that bypass the API (`--out-of-band`: plain SQL on a connection of
 * the checker's own, captured by the PostgreSQL triggers, published by the
 * reconcilers) are promised only "visible within a window of COMMIT", not at
 * once: such a version counts as acknowledged `outOfBandWindowMs` after its
 * COMMIT returned, kept in a history of its own, and a stale read that only
 * that rule catches is counted as caused by an out-of-band write. The trigger
 * raises the version; the checker reads the committed one back (RETURNING),
 * so versions of both kinds of writer are one sequence per entity and compare
 * as they are. For each out-of-band version the observer also notes the
 * first read that returned it (or a newer one), and for every read how long
 * after the COMMIT of a newer out-of-band version it started.
 *
 * Times are on one monotonic clock (`now()`); a read's start is taken before
 * its request is sent and an acknowledgement's time after its answer is
 * parsed (a COMMIT's after it returned), so both err on the side of NOT
 * counting a read as stale.
 */
import type { FaultRecord } from './faults.js';

export interface Acknowledgement {
  version: number;
  /** When the acknowledging answer was received; for an out-of-band write, its COMMIT plus the window. */
  at: number;
  /** When the acknowledging mutation was sent; for an out-of-band write, when its COMMIT was. */
  sentAt: number;
  /** The API instance; `sql` for an out-of-band write. */
  instance: string;
  operation: string;
  /** Out-of-band writes only: when the COMMIT returned. */
  committedAt?: number;
}

/** What wrote the version a stale read missed: an API mutation, or SQL that bypassed the API. */
export type WriteOrigin = 'api' | 'out-of-band';

interface AckHistory {
  /** In the order of `at` (non-decreasing): the order received for API writes, of COMMIT for out-of-band ones. */
  acks: Acknowledgement[];
  /** `maxIndex[i]`: index of the highest version among `acks[0..i]`. */
  maxIndex: number[];
}

export interface ReadContext {
  /** What was read: `product`, `products`, `me`, `user`, `node`, or `mutation:<name>` for a mutation's answer. */
  kind: string;
  startedAt: number;
  endedAt: number;
  instance: string;
}

export interface StaleRead {
  kind: string;
  entity: string;
  versionRead: number;
  /** The highest version acknowledged before the read started. */
  versionAcknowledged: number;
  instance: string;
  readStartedAt: number;
  readEndedAt: number;
  acknowledgedAt: number;
  acknowledgingMutation: string;
  acknowledgingMutationSentAt: number;
  acknowledgingInstance: string;
  origin: WriteOrigin;
  /** Out-of-band writes: when the COMMIT of the version missed returned (`acknowledgedAt` is that plus the window). */
  committedAt?: number;
}

export interface StaleReadExample extends StaleRead {
  /** Faults overlapping the acknowledging mutation (its cache write is the one that did not stick). */
  faultsDuringAcknowledgedWrite: string[];
  /** The last fault that started before the read started, and how long before. */
  lastFaultBeforeRead: string | null;
}

export interface StaleReadSummary {
  total: number;
  /** Reads checked (entity versions compared): the denominator. */
  checked: number;
  byKind: Record<string, number>;
  /**
   * By the kind of fault that overlapped the acknowledged write that the read
   * missed; `<kind> (recovering)` if the write came within 3 s after that fault
   * was over; `none` otherwise.
   */
  byFault: Record<string, number>;
  /** Distinct (entity, version read, version acknowledged) triples: one stuck entry is one episode. */
  episodes: number;
  /** Longest time a stale read started after the acknowledgement it missed, in ms. */
  maxStalenessMs: number;
  /** By the writer of the version missed (an API write's rule is checked first). */
  byOrigin: Record<WriteOrigin, number>;
  /** The stale reads caused by out-of-band writes (included in the figures above). */
  outOfBand: {
    total: number;
    episodes: number;
    /** Longest time such a read started after the COMMIT it missed, in ms (above the window). */
    maxAfterCommitMs: number;
  };
  examples: StaleReadExample[];
}

/** When out-of-band versions were first read (from their COMMIT). */
export interface OutOfBandVisibility {
  /** Out-of-band versions committed. */
  writes: number;
  /** Of those, versions some read returned (it, or a newer one) after the COMMIT. */
  read: number;
  /** From a COMMIT to the end of the first answer with its version or a newer one, in ms: includes the wait for a read to come along. */
  firstReadMedianMs: number | null;
  firstReadMaxMs: number | null;
  /**
   * The longest time, in ms, from a COMMIT to the start of a read that still returned a version older than
   * that COMMIT's (before or after other reads had returned the new one); null if no read did. Those past the
   * window are the stale reads.
   */
  olderReadMaxMs: number | null;
}

interface PendingVisibility {
  version: number;
  committedAt: number;
}

/** Largest number of stale reads kept in full (the counters keep counting past it). */
const KEEP = 50_000;
/** Slack when matching a fault to a write: the fault's effects can lag its recorded start and end slightly. */
const FAULT_MARGIN_MS = 100;
/**
 * After a fault is over (Redis answering again, the API ready), an API's Redis
 * client may still be reconnecting (ioredis backs off up to 2 s): a write in
 * that window is attributed to the fault as `<kind> (recovering)`.
 */
const RECOVERY_MS = 3000;

/** Adds `ack` to `histories[entity]`, in the order of `at` (an out-of-band one may come before API ones already there). */
function record(histories: Map<string, AckHistory>, entity: string, ack: Acknowledgement): void {
  let h = histories.get(entity);
  if (!h) histories.set(entity, (h = { acks: [], maxIndex: [] }));
  let index = h.acks.length;
  while (index > 0 && h.acks[index - 1]!.at > ack.at) index--;
  h.acks.splice(index, 0, ack);
  h.maxIndex.length = index;
  for (let i = index; i < h.acks.length; i++) {
    const previousMax = i > 0 ? h.maxIndex[i - 1]! : -1;
    h.maxIndex.push(previousMax >= 0 && h.acks[previousMax]!.version >= h.acks[i]!.version ? previousMax : i);
  }
}

/** The highest acknowledgement of `h` strictly before `t`, if any. */
function highestIn(h: AckHistory | undefined, t: number): Acknowledgement | undefined {
  if (!h) return undefined;
  let lo = 0;
  let hi = h.acks.length; // first index with at >= t
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (h.acks[mid]!.at < t) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? undefined : h.acks[h.maxIndex[lo - 1]!];
}

const median = (sorted: readonly number[]) => (sorted.length ? sorted[Math.floor(sorted.length / 2)]! : null);

export interface ObserverOptions {
  /** How long after its COMMIT an out-of-band write counts as acknowledged, in ms. @default 1000 */
  outOfBandWindowMs?: number;
}

export class Observer {
  private readonly history = new Map<string, AckHistory>();
  private readonly outOfBandHistory = new Map<string, AckHistory>();
  private readonly pending = new Map<string, PendingVisibility[]>();
  private readonly firstReadMs: number[] = [];
  private olderReadMaxMs: number | null = null;
  private readonly stale: StaleRead[] = [];
  private staleTotal = 0;
  private staleOutOfBand = 0;
  private checked = 0;
  readonly outOfBandWindowMs: number;
  acknowledgedWrites = 0;
  outOfBandWrites = 0;

  constructor(options: ObserverOptions = {}) {
    this.outOfBandWindowMs = options.outOfBandWindowMs ?? 1000;
  }

  /** Records a successful mutation's answer: `entity` is now at least `version` for everyone. */
  acknowledge(entity: string, version: number, ack: Omit<Acknowledgement, 'version'>): void {
    this.acknowledgedWrites++;
    record(this.history, entity, { version, ...ack });
  }

  /**
   * Records a write that bypassed the API, committed (its COMMIT returned at
   * `committedAt`) with `version`: it counts as acknowledged the window later.
   */
  committedOutOfBand(
    entity: string,
    version: number,
    { committedAt, commitSentAt, operation }: { committedAt: number; commitSentAt: number; operation: string },
  ): void {
    this.outOfBandWrites++;
    record(this.outOfBandHistory, entity, { version, at: committedAt + this.outOfBandWindowMs, sentAt: commitSentAt, instance: 'sql', operation, committedAt });
    let list = this.pending.get(entity);
    if (!list) this.pending.set(entity, (list = []));
    list.push({ version, committedAt });
  }

  /** The highest acknowledgement received strictly before `t`, if any (API writes only). */
  highestBefore(entity: string, t: number): Acknowledgement | undefined {
    return highestIn(this.history.get(entity), t);
  }

  /** The highest version ever acknowledged (or committed out of band) for each entity, for the "lost acknowledged write" check. */
  highestAcknowledged(): Map<string, Acknowledgement> {
    const result = new Map<string, Acknowledgement>();
    for (const histories of [this.history, this.outOfBandHistory]) {
      for (const [entity, h] of histories) {
        const top = h.acks.length ? h.acks[h.maxIndex[h.maxIndex.length - 1]!]! : undefined;
        if (top && top.version > (result.get(entity)?.version ?? -Infinity)) result.set(entity, top);
      }
    }
    return result;
  }

  /** Out-of-band versions: how soon reads returned them. */
  outOfBandVisibility(): OutOfBandVisibility {
    const first = [...this.firstReadMs].sort((a, b) => a - b);
    const round = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : Math.round(ms));
    return {
      writes: this.outOfBandWrites,
      read: first.length,
      firstReadMedianMs: round(median(first)),
      firstReadMaxMs: round(first.at(-1)),
      olderReadMaxMs: round(this.olderReadMaxMs),
    };
  }

  /** Notes what this read showed of `entity`'s out-of-band versions: the first read of each, and older versions read after a COMMIT. */
  private trackVisibility(entity: string, version: number, context: ReadContext): void {
    const list = this.pending.get(entity);
    if (list?.length) {
      const left = list.filter((p) => {
        if (version < p.version) return true;
        this.firstReadMs.push(Math.max(0, context.endedAt - p.committedAt));
        return false;
      });
      this.pending.set(entity, left);
    }
    // The earliest out-of-band COMMIT of a version above the one read. One client commits them in turn, so in its
    // history (in the order of COMMIT) versions rise: the first above `version` is found by bisection.
    const acks = this.outOfBandHistory.get(entity)?.acks;
    if (!acks?.length) return;
    let lo = 0;
    let hi = acks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (acks[mid]!.version <= version) lo = mid + 1;
      else hi = mid;
    }
    const newer = acks[lo];
    if (newer?.committedAt !== undefined && context.startedAt > newer.committedAt) {
      this.olderReadMaxMs = Math.max(this.olderReadMaxMs ?? 0, context.startedAt - newer.committedAt);
    }
  }

  /** Stale reads counted so far (cheap, unlike `summary`: a caller can take differences around a measurement). */
  get staleCount(): number {
    return this.staleTotal;
  }

  /** Entity versions checked so far. */
  get checkedCount(): number {
    return this.checked;
  }

  /**
   * Checks one entity version returned by a read; returns true if it is stale:
   * below a version an API write acknowledged before the read started, or
   * below one committed out of band more than the window before it started.
   */
  read(entity: string, version: number, context: ReadContext): boolean {
    this.checked++;
    this.trackVisibility(entity, version, context);
    let origin: WriteOrigin = 'api';
    let ack = this.highestBefore(entity, context.startedAt);
    if (!ack || ack.version <= version) {
      origin = 'out-of-band';
      ack = highestIn(this.outOfBandHistory.get(entity), context.startedAt);
      if (!ack || ack.version <= version) return false;
      this.staleOutOfBand++;
    }
    this.staleTotal++;
    if (this.stale.length < KEEP) {
      this.stale.push({
        kind: context.kind,
        entity,
        versionRead: version,
        versionAcknowledged: ack.version,
        instance: context.instance,
        readStartedAt: context.startedAt,
        readEndedAt: context.endedAt,
        acknowledgedAt: ack.at,
        acknowledgingMutation: ack.operation,
        acknowledgingMutationSentAt: ack.sentAt,
        acknowledgingInstance: ack.instance,
        origin,
        ...(ack.committedAt !== undefined && { committedAt: ack.committedAt }),
      });
    }
    return true;
  }

  /**
   * Counts and examples; faults are matched now that every fault's end is known.
   * Times in the examples are in ms since `origin`.
   */
  summary(faults: readonly FaultRecord[], { examples = 12, origin = 0 } = {}): StaleReadSummary {
    const byKind: Record<string, number> = {};
    const byFault: Record<string, number> = {};
    const episodes = new Set<string>();
    const outOfBandEpisodes = new Set<string>();
    let maxStalenessMs = 0;
    let maxAfterCommitMs = 0;
    const described: StaleReadExample[] = this.stale.map((s) => {
      byKind[s.kind] = (byKind[s.kind] ?? 0) + 1;
      const during = faults.filter((f) => f.startedAt <= s.acknowledgedAt + FAULT_MARGIN_MS && f.endedAt >= s.acknowledgingMutationSentAt - FAULT_MARGIN_MS);
      const recovering = during.length
        ? undefined
        : [...faults].reverse().find((f) => f.endedAt < s.acknowledgingMutationSentAt && s.acknowledgingMutationSentAt - f.endedAt <= RECOVERY_MS);
      const kinds = [...new Set(during.map((f) => f.kind as string))];
      if (recovering) kinds.push(`${recovering.kind} (recovering)`);
      for (const kind of kinds.length ? kinds : ['none']) byFault[kind] = (byFault[kind] ?? 0) + 1;
      episodes.add(`${s.entity}@${s.versionRead}<${s.versionAcknowledged}`);
      maxStalenessMs = Math.max(maxStalenessMs, s.readStartedAt - s.acknowledgedAt);
      if (s.committedAt !== undefined) {
        outOfBandEpisodes.add(`${s.entity}@${s.versionRead}<${s.versionAcknowledged}`);
        maxAfterCommitMs = Math.max(maxAfterCommitMs, s.readStartedAt - s.committedAt);
      }
      const last = [...faults].reverse().find((f) => f.startedAt <= s.readStartedAt);
      return {
        ...s,
        readStartedAt: Math.round(s.readStartedAt - origin),
        readEndedAt: Math.round(s.readEndedAt - origin),
        acknowledgedAt: Math.round(s.acknowledgedAt - origin),
        acknowledgingMutationSentAt: Math.round(s.acknowledgingMutationSentAt - origin),
        ...(s.committedAt !== undefined && { committedAt: Math.round(s.committedAt - origin) }),
        faultsDuringAcknowledgedWrite: [
          ...during.map((f) => `${f.kind}#${f.index} (${f.detail})`),
          ...(recovering
            ? [
                `${recovering.kind}#${recovering.index} (recovering: over ${Math.round(s.acknowledgingMutationSentAt - recovering.endedAt)} ms before the write)`,
              ]
            : []),
        ],
        lastFaultBeforeRead: last ? `${last.kind}#${last.index}, ${Math.round(s.readStartedAt - last.startedAt)} ms before` : null,
      };
    });
    // Examples: the first of each (kind of read, fault) pair, then the earliest others.
    const picked: StaleReadExample[] = [];
    const seen = new Set<string>();
    for (const e of described) {
      const tag = `${e.kind}/${e.faultsDuringAcknowledgedWrite.map((f) => f.split('#')[0] + (f.includes('recovering') ? '~' : '')).join('+')}`;
      if (!seen.has(tag) && picked.length < examples) {
        seen.add(tag);
        picked.push(e);
      }
    }
    for (const e of described) if (picked.length < examples && !picked.includes(e)) picked.push(e);
    picked.sort((a, b) => a.readStartedAt - b.readStartedAt);
    return {
      total: this.staleTotal,
      checked: this.checked,
      byKind,
      byFault,
      episodes: episodes.size,
      maxStalenessMs: Math.round(maxStalenessMs),
      byOrigin: { api: this.staleTotal - this.staleOutOfBand, 'out-of-band': this.staleOutOfBand },
      outOfBand: { total: this.staleOutOfBand, episodes: outOfBandEpisodes.size, maxAfterCommitMs: Math.round(maxAfterCommitMs) },
      examples: picked,
    };
  }
}
