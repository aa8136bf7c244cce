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
 * Times are on one monotonic clock (`now()`); a read's start is taken before
 * its request is sent and an acknowledgement's time after its answer is
 * parsed, so both err on the side of NOT counting a read as stale.
 */
import type { FaultRecord } from './faults.js';

export interface Acknowledgement {
  version: number;
  /** When the acknowledging answer was received. */
  at: number;
  /** When the acknowledging mutation was sent. */
  sentAt: number;
  instance: string;
  operation: string;
}

interface AckHistory {
  /** In the order received, so `at` is non-decreasing. */
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
  examples: StaleReadExample[];
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

export class Observer {
  private readonly history = new Map<string, AckHistory>();
  private readonly stale: StaleRead[] = [];
  private staleTotal = 0;
  private checked = 0;
  acknowledgedWrites = 0;

  /** Records a successful mutation's answer: `entity` is now at least `version` for everyone. */
  acknowledge(entity: string, version: number, ack: Omit<Acknowledgement, 'version'>): void {
    this.acknowledgedWrites++;
    let h = this.history.get(entity);
    if (!h) this.history.set(entity, (h = { acks: [], maxIndex: [] }));
    const previousMax = h.maxIndex.length ? h.maxIndex[h.maxIndex.length - 1]! : -1;
    h.acks.push({ version, ...ack });
    const index = h.acks.length - 1;
    h.maxIndex.push(previousMax >= 0 && h.acks[previousMax]!.version >= version ? previousMax : index);
  }

  /** The highest acknowledgement received strictly before `t`, if any. */
  highestBefore(entity: string, t: number): Acknowledgement | undefined {
    const h = this.history.get(entity);
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

  /** The highest version ever acknowledged for each entity (for the "lost acknowledged write" check). */
  highestAcknowledged(): Map<string, Acknowledgement> {
    const result = new Map<string, Acknowledgement>();
    for (const [entity, h] of this.history) {
      if (h.acks.length) result.set(entity, h.acks[h.maxIndex[h.maxIndex.length - 1]!]!);
    }
    return result;
  }

  /** Stale reads counted so far (cheap, unlike `summary`: a caller can take differences around a measurement). */
  get staleCount(): number {
    return this.staleTotal;
  }

  /** Entity versions checked so far. */
  get checkedCount(): number {
    return this.checked;
  }

  /** Checks one entity version returned by a read; returns true if it is stale. */
  read(entity: string, version: number, context: ReadContext): boolean {
    this.checked++;
    const ack = this.highestBefore(entity, context.startedAt);
    if (!ack || ack.version <= version) return false;
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
    let maxStalenessMs = 0;
    const described: StaleReadExample[] = this.stale.map((s) => {
      byKind[s.kind] = (byKind[s.kind] ?? 0) + 1;
      const during = faults.filter(
        (f) => f.startedAt <= s.acknowledgedAt + FAULT_MARGIN_MS && f.endedAt >= s.acknowledgingMutationSentAt - FAULT_MARGIN_MS,
      );
      const recovering = during.length
        ? undefined
        : [...faults].reverse().find((f) => f.endedAt < s.acknowledgingMutationSentAt && s.acknowledgingMutationSentAt - f.endedAt <= RECOVERY_MS);
      const kinds = [...new Set(during.map((f) => f.kind as string))];
      if (recovering) kinds.push(`${recovering.kind} (recovering)`);
      for (const kind of kinds.length ? kinds : ['none']) byFault[kind] = (byFault[kind] ?? 0) + 1;
      episodes.add(`${s.entity}@${s.versionRead}<${s.versionAcknowledged}`);
      maxStalenessMs = Math.max(maxStalenessMs, s.readStartedAt - s.acknowledgedAt);
      const last = [...faults].reverse().find((f) => f.startedAt <= s.readStartedAt);
      return {
        ...s,
        readStartedAt: Math.round(s.readStartedAt - origin),
        readEndedAt: Math.round(s.readEndedAt - origin),
        acknowledgedAt: Math.round(s.acknowledgedAt - origin),
        acknowledgingMutationSentAt: Math.round(s.acknowledgingMutationSentAt - origin),
        faultsDuringAcknowledgedWrite: [
          ...during.map((f) => `${f.kind}#${f.index} (${f.detail})`),
          ...(recovering ? [`${recovering.kind}#${recovering.index} (recovering: over ${Math.round(s.acknowledgingMutationSentAt - recovering.endedAt)} ms before the write)`] : []),
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
    return { total: this.staleTotal, checked: this.checked, byKind, byFault, episodes: episodes.size, maxStalenessMs: Math.round(maxStalenessMs), examples: picked };
  }
}
