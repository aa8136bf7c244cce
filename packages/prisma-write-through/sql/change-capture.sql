-- prisma-write-through: change capture in PostgreSQL (13 or later).
--
-- Writes that do not go through the write-through extension (psql, another service, a data
-- migration, a raw statement nobody declared) are recorded for the reconciler, which publishes
-- them to the cache after COMMIT: it re-reads the entity and writes it with compare-and-set, or
-- a tombstone when it is gone. One generic trigger function, installed as a BEFORE ... FOR EACH
-- ROW trigger on every table the cache holds, with the facts it needs as trigger arguments:
--
--   on a root table (one row is one cached entity):
--     CREATE TRIGGER "Product_write_through_capture" BEFORE UPDATE OR DELETE ON "Product"
--       FOR EACH ROW EXECUTE FUNCTION prisma_write_through_capture('Product', 'id', 'version');
--     arguments: the entity name (as in the cache keys), its id column, its version column.
--
--   on a member table (rows cached inside their root's entry, e.g. the items of a cart):
--     CREATE TRIGGER "CartItem_write_through_capture" BEFORE INSERT OR UPDATE OR DELETE ON "CartItem"
--       FOR EACH ROW EXECUTE FUNCTION prisma_write_through_capture('Cart', 'userId', 'version', 'cartId', 'Cart');
--     arguments: the root's entity name, the root table's id column and version column, the
--     member's column holding the root's id, the root table, and optionally the root table's
--     schema (default: the member table's).
--
-- `captureTriggers(entities, schema)` of the package writes these statements for every cached
-- model (roots and members); the root table must have its trigger too, since a member change is
-- recorded through it.
--
-- What the function does:
--   * UPDATE of a root row: the version never goes down or stays: when the statement did not
--     raise it, the trigger does (version + 1), so the cache's compare-and-set takes the new row.
--     This holds for every writer, the extension included (which always raises it itself).
--   * Not the extension's write (see below): an UPDATE or DELETE of a root row inserts
--     [[entity, id]] into "CacheOutbox" with "captured" = true (the reconciler replays such rows
--     at once, not after OUTBOX_REPLAY_AFTER_MS), and NOTIFY prisma_write_through (one per
--     transaction: PostgreSQL folds identical notifications), delivered at COMMIT to the
--     reconcilers that LISTEN. A change to a member row raises the root's version (an UPDATE
--     of the root row, whose own trigger records it), BEFORE the member row is written, so the
--     root is locked before its members as the extension's writers do; at most once per root
--     and transaction (a root row this transaction already wrote is not raised again).
--   * An INSERT of a root row records nothing: nothing can be cached under a new id (ids are
--     never reused) and a cache miss reads it.
--   * The extension's own writes are not recorded: every write-through transaction sets the
--     transaction-local setting prisma_write_through.tx to 'on' before its first write
--     (SET LOCAL prisma_write_through.tx = 'on') and publishes what it changed
--     itself, with leases. A raw statement inside such a transaction is therefore not captured:
--     declare what it changed with `touch(tx, entity, ids)`. The same setting lets an operator
--     skip capture on purpose, e.g. a bulk load into an empty database before any API runs:
--     SET LOCAL prisma_write_through.tx = 'on'.
--   * Not captured at all: TRUNCATE (no row triggers), and a trigger disabled
--     (session_replication_role = replica, ALTER TABLE ... DISABLE TRIGGER).
--
-- Needs: the outbox table "CacheOutbox" ("entries" JSONB, "captured" BOOLEAN NOT NULL DEFAULT
-- false, "createdAt" TIMESTAMPTZ; see the package README), found by the writer's search_path;
-- writers need INSERT on it and UPDATE on the root tables (SECURITY INVOKER).

CREATE OR REPLACE FUNCTION prisma_write_through_capture() RETURNS trigger
LANGUAGE plpgsql AS $capture$
DECLARE
  entity text := TG_ARGV[0];
  id_column text := TG_ARGV[1];
  version_column text := TG_ARGV[2];
  own_write boolean := coalesce(current_setting('prisma_write_through.tx', true), '') = 'on';
  old_row jsonb;
  new_row jsonb;
  raise_root text;
BEGIN
  IF TG_WHEN <> 'BEFORE' OR TG_LEVEL <> 'ROW' OR TG_NARGS NOT IN (3, 5, 6) THEN
    RAISE EXCEPTION 'prisma_write_through_capture on %.%: install it as a BEFORE ... FOR EACH ROW trigger with (entity, id column, version column) on a root table, or (entity, root id column, root version column, member column holding the root id, root table[, root schema]) on a member table',
      TG_TABLE_SCHEMA, TG_TABLE_NAME;
  END IF;

  IF TG_NARGS = 3 THEN
    -- A root table: one row, one cached entity.
    IF TG_OP = 'UPDATE' THEN
      old_row := to_jsonb(OLD);
      new_row := to_jsonb(NEW);
      IF (new_row ->> version_column)::bigint <= (old_row ->> version_column)::bigint THEN
        NEW := jsonb_populate_record(NEW, jsonb_build_object(version_column, (old_row ->> version_column)::bigint + 1));
      END IF;
      IF NOT own_write THEN
        INSERT INTO "CacheOutbox" ("entries", "captured") VALUES (jsonb_build_array(jsonb_build_array(entity, old_row -> id_column)), true);
        IF (new_row -> id_column) IS DISTINCT FROM (old_row -> id_column) THEN
          INSERT INTO "CacheOutbox" ("entries", "captured") VALUES (jsonb_build_array(jsonb_build_array(entity, new_row -> id_column)), true);
        END IF;
        PERFORM pg_notify('prisma_write_through', '');
      END IF;
      RETURN NEW;
    ELSIF TG_OP = 'DELETE' THEN
      IF NOT own_write THEN
        INSERT INTO "CacheOutbox" ("entries", "captured") VALUES (jsonb_build_array(jsonb_build_array(entity, to_jsonb(OLD) -> id_column)), true);
        PERFORM pg_notify('prisma_write_through', '');
      END IF;
      RETURN OLD;
    END IF;
    RETURN NEW;
  END IF;

  -- A member table: raise its root's version; the root's own trigger records the root.
  IF NOT own_write THEN
    raise_root := format('UPDATE %I.%I SET %I = %I + 1 WHERE %I = ($1).%I AND xmin <> pg_current_xact_id()::xid',
      coalesce(TG_ARGV[5], TG_TABLE_SCHEMA), TG_ARGV[4], version_column, version_column, id_column, TG_ARGV[3]);
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
      EXECUTE raise_root USING OLD;
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND (to_jsonb(NEW) -> TG_ARGV[3]) IS DISTINCT FROM (to_jsonb(OLD) -> TG_ARGV[3])) THEN
      EXECUTE raise_root USING NEW;
    END IF;
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END
$capture$;
