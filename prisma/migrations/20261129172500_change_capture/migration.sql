-- Change capture for writes that bypass the API (psql, another service, a data migration):
-- such a write is recorded in the outbox of the write-through, and the reconciler publishes it
-- (re-reads the row, compare-and-set, a tombstone if it is gone) within
-- OUTBOX_REPLAY_AFTER_MS + RECONCILE_INTERVAL_MS (3 s by default), instead of the cache
-- serving the old row until its TTL.
--
-- An UPDATE that does not raise "version" cannot come from the write-through extension
-- (it raises it on every write it makes): the trigger raises it, so the cache
-- compare-and-set takes the new row, and records the entity. A DELETE is always recorded
-- (the own deletes of the extension then get a second, harmless replay).
-- TG_ARGV: the entity name (as in the cache keys) and its id column.

CREATE FUNCTION "wt_capture_update"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW."version" = OLD."version" THEN
    NEW."version" := OLD."version" + 1;
    INSERT INTO "CacheOutbox" ("entries") VALUES (jsonb_build_array(jsonb_build_array(TG_ARGV[0], to_jsonb(NEW) -> TG_ARGV[1])));
  END IF;
  RETURN NEW;
END $$;

CREATE FUNCTION "wt_capture_delete"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "CacheOutbox" ("entries") VALUES (jsonb_build_array(jsonb_build_array(TG_ARGV[0], to_jsonb(OLD) -> TG_ARGV[1])));
  RETURN OLD;
END $$;

CREATE TRIGGER "User_capture_update" BEFORE UPDATE ON "User" FOR EACH ROW EXECUTE FUNCTION "wt_capture_update"('User', 'id');
CREATE TRIGGER "User_capture_delete" AFTER DELETE ON "User" FOR EACH ROW EXECUTE FUNCTION "wt_capture_delete"('User', 'id');
CREATE TRIGGER "Product_capture_update" BEFORE UPDATE ON "Product" FOR EACH ROW EXECUTE FUNCTION "wt_capture_update"('Product', 'id');
CREATE TRIGGER "Product_capture_delete" AFTER DELETE ON "Product" FOR EACH ROW EXECUTE FUNCTION "wt_capture_delete"('Product', 'id');
CREATE TRIGGER "Cart_capture_update" BEFORE UPDATE ON "Cart" FOR EACH ROW EXECUTE FUNCTION "wt_capture_update"('Cart', 'userId');
CREATE TRIGGER "Cart_capture_delete" AFTER DELETE ON "Cart" FOR EACH ROW EXECUTE FUNCTION "wt_capture_delete"('Cart', 'userId');
