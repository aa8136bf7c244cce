-- The catalog's queries (src/db/catalog.ts): products(search, sort, first/after, last/before),
-- keyset pages in every order and a search that does not read every product.

-- products(sort: PRICE | PRICE_DESC): ties by id; pages walk it forwards or backwards.
-- CreateIndex
CREATE INDEX "Product_priceCents_id_idx" ON "Product"("priceCents", "id");

-- The next two are expression indexes, which schema.prisma cannot express: written by hand.
-- Prisma's migration diff ignores expression indexes (and extensions), so later migrations
-- leave them alone.

-- products(sort: NAME): A to Z whatever the case (lower, in the database's collation), ties by id.
CREATE INDEX "Product_name_lower_id_idx" ON "Product"(lower("name"), "id");

-- products(search): the trigrams (pg_trgm) of name, description and sku as one text, so that
-- `... ILIKE '%word%'` finds its rows through the index instead of reading every product.
-- pg_trgm is a trusted extension (PostgreSQL 13 and later): the database's owner may create it,
-- no superuser needed. The embedded database (PGlite) loads it at start (src/db/client.ts).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX "Product_search_trgm_idx" ON "Product" USING gin (("name" || ' ' || "description" || ' ' || "sku") gin_trgm_ops);
-- A search with a sort has two plans: walk the sort's index until the page is full (quick when
-- many products match), or take the matches from this index and sort them (quick when few do).
-- PostgreSQL picks by its estimate of how many match, from a histogram of this text: 1,000
-- entries instead of 100 make that estimate close and stable from one ANALYZE to the next
-- (docs/benchmarks/catalog-search.md).
ALTER INDEX "Product_search_trgm_idx" ALTER COLUMN 1 SET STATISTICS 1000;

-- The trigram index makes an UPDATE that must touch every index dear: about 200 entries a
-- product. Stock, version and updatedAt are in no index, so checkout's and adjustStock's writes can
-- be HOT updates, which touch no index at all, when the row's page has room for the new version:
-- leave 10% of every page free for them (pages written from now on; VACUUM FULL rewrites the rest).
ALTER TABLE "Product" SET (fillfactor = 90);
