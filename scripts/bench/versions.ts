/**
 * The benchmark's bookkeeping of versions, around the consistency checker's
 * observer, with one addition: acknowledged writes are COUNTED.
 *
 * The observer takes the version a mutation's answer shows as acknowledged.
 * That misses a writer whose own answer is already stale: in cache-aside, a
 * read-fill that read the row before a second writer's COMMIT can land after
 * that writer's DELETE, so the second writer's answer (read back through the
 * cache) shows the older version, and so does every read after it, without
 * any answer ever showing the newer one.
 *
 * Counting closes that gap: every acknowledged write adds at least one version
 * (the write-through extension increments `version` on each write), so once n
 * writes to an entity have been acknowledged, its committed version is at
 * least v0 + n, where v0 is its version in PostgreSQL before the mode started
 * (nothing else writes during a run). Each acknowledgement is recorded as the
 * larger of the version shown and that floor; a read after it that returns a
 * lower version is stale, exactly as the observer defines it.
 *
 * Only for the kinds of entities whose writes do move `version` in the mode
 * under test (the no-cache and naive modes write without the extension).
 */
import type pg from 'pg';
import type { Acknowledgement, Observer, ReadContext } from '../consistency/observer.js';
import type { Dataset } from './seed.js';

/** What the load driver and the probes report versions to. */
export interface VersionSink {
  read(entity: string, version: number, context: ReadContext): boolean;
  acknowledge(entity: string, version: number, ack: Omit<Acknowledgement, 'version'>): void;
}

export class VersionBook implements VersionSink {
  private readonly bases = new Map<string, number>();
  private readonly counts = new Map<string, number>();
  /** Entity types whose floors are in force (`Product`, `Cart`). */
  private readonly counted = new Set<string>();
  /** Acknowledgements whose answer showed a version below the floor (the writer's own answer was stale). */
  staleAnswers = 0;

  constructor(readonly observer: Observer) {}

  /** Versions in PostgreSQL before the mode's first write. */
  setBases(bases: Map<string, number>): void {
    for (const [entity, version] of bases) this.bases.set(entity, version);
  }

  /** Turns the floors on for one type of entity (after checking that its writes move `version`). */
  count(type: string): void {
    this.counted.add(type);
  }

  get countedTypes(): string[] {
    return [...this.counted];
  }

  read(entity: string, version: number, context: ReadContext): boolean {
    return this.observer.read(entity, version, context);
  }

  acknowledge(entity: string, version: number, ack: Omit<Acknowledgement, 'version'>): void {
    const n = (this.counts.get(entity) ?? 0) + 1;
    this.counts.set(entity, n);
    const base = this.bases.get(entity);
    const type = entity.slice(0, entity.indexOf(':'));
    let acknowledged = version;
    if (base !== undefined && this.counted.has(type)) {
      const floor = base + n;
      if (version < floor) this.staleAnswers++;
      acknowledged = Math.max(version, floor);
    }
    this.observer.acknowledge(entity, acknowledged, ack);
  }
}

/** Versions of the entities the mutations write (the hot products and the hot users' carts), from PostgreSQL. */
export async function hotVersions(pool: pg.Pool, data: Dataset): Promise<Map<string, number>> {
  const versions = new Map<string, number>();
  const products = await pool.query<{ id: number; version: number }>('SELECT id, version FROM "Product" WHERE id = ANY($1::int[])', [data.hotProducts]);
  for (const row of products.rows) versions.set(`Product:${row.id}`, row.version);
  const carts = await pool.query<{ userId: number; version: number }>('SELECT "userId", version FROM "Cart" WHERE "userId" = ANY($1::int[])', [
    data.hotUsers.map((u) => u.id),
  ]);
  for (const row of carts.rows) versions.set(`Cart:${row.userId}`, row.version);
  return versions;
}
