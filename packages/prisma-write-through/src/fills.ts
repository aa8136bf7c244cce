/**
 * No thundering herd: what the loaders of one process share so that
 * concurrent misses of one key cost one database read, in this process and
 * across processes.
 *
 * - **Single-flight** (this process): a miss joins a database read of the
 *   same key that another request of this process started *after* this miss's
 *   store read began. Such a read saw every write acknowledged before this
 *   request started, so its row is as fresh as one read now. A read that
 *   started earlier is never joined: it may predate a write acknowledged to
 *   this request's client (see "Joining is safe only forward" below).
 * - **Fill leases** (all processes, in the store): the misses left claim the
 *   right to fill their keys (`CacheStore.claimFills`, SET NX PX). A winner
 *   reads the database and fills. A loser waits for the fill and reads the
 *   store again, a few times with a growing pause (`waits`), then reads the
 *   database itself. What a loser finally reads from the store is safe like any
 *   hit: the write-through's leases and compare-and-set keep anything older
 *   than an acknowledged version out of the cache. In the spirit of the
 *   leases of Facebook's memcache ("Scaling Memcache at Facebook", NSDI 2013,
 *   section 3.2.1), with the lease in a key of its own.
 *
 * Joining is safe only forward: a request R may take the row of a database
 * read D only if D started after R began. A write acknowledged before R began
 * committed before D started, so D sees it. A D that started before R began
 * may have read the row just before such a write committed.
 */

/** One database read of some keys in progress, in this process. */
export interface Flight {
  /** When it started, on the `FillCoordination` clock. */
  readonly startedAt: number;
  /** The rows read, as JSON by id key (null: no such row). Rejects with the read's error. */
  readonly rows: Promise<ReadonlyMap<string, string | null>>;
  /** Resolves once its fills were sent to the store (or failed). Never rejects. */
  readonly landed: Promise<void>;
}

/** Options of `createFillCoordination`. */
export interface FillCoordinationOptions {
  /** How long a fill lease lives, in ms: longer than a database read and a fill. @default 500 */
  leaseMs?: number;
  /**
   * The pauses, in ms, of a loser before each new store read; after the last,
   * it reads the database itself. A count, not a deadline, so a busy event
   * loop (whose timers run late) does not send the losers to the database
   * early. @default [2, 4, 8, 16, 32, 64] (126 ms in all)
   */
  waits?: readonly number[];
}

/** Shared by every loader of one process (see the top of this file): make one per cache. */
export interface FillCoordination {
  readonly leaseMs: number;
  readonly waits: readonly number[];
  /** A logical clock: strictly increasing, so "started after" never depends on timer resolution. */
  tick(): number;
  /** The flight in progress for `key`, if any. */
  flight(key: string): Flight | undefined;
  /** Registers `flight` for `keys` until it has landed. */
  fly(keys: readonly string[], flight: Flight): void;
}

/** A new coordination (see the top of this file). Throws a `TypeError` on an invalid option. */
export function createFillCoordination(options: FillCoordinationOptions = {}): FillCoordination {
  const leaseMs = options.leaseMs ?? 500;
  const waits = options.waits ?? [2, 4, 8, 16, 32, 64];
  if (!(Number.isInteger(leaseMs) && leaseMs > 0)) throw new TypeError(`fill leaseMs must be a positive integer, got ${leaseMs}`);
  if (!waits.every((w) => Number.isFinite(w) && w >= 0)) throw new TypeError(`fill waits must be pauses in ms (>= 0), got ${JSON.stringify(waits)}`);
  let clock = 0;
  const flights = new Map<string, Flight>();
  return {
    leaseMs,
    waits,
    tick: () => ++clock,
    flight: (key) => flights.get(key),
    fly(keys, flight) {
      for (const key of keys) flights.set(key, flight);
      void flight.landed.then(() => {
        for (const key of keys) if (flights.get(key) === flight) flights.delete(key);
      });
    },
  };
}
