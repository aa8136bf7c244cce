-- The tables prisma-write-through needs in PostgreSQL (the names are the
-- defaults; createOutbox and withEpochFence take others).

-- The transactional outbox: the entities each committed transaction changed,
-- until the cache has them. Written in the writer's transaction, deleted after
-- the publish; the reconciler replays rows older than its replay delay, and
-- "captured" rows (recorded by change-capture.sql for writes that did not go
-- through the extension) at once.
CREATE TABLE "CacheOutbox" (
    "id" BIGSERIAL NOT NULL,
    "entries" JSONB NOT NULL,
    "captured" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "CacheOutbox_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "CacheOutbox_createdAt_idx" ON "CacheOutbox"("createdAt");

-- Cache epochs: one per Redis identity; every key carries the current one.
CREATE TABLE "CacheEpoch" (
    "epoch" SERIAL NOT NULL,
    "identity" TEXT NOT NULL,
    "startedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "CacheEpoch_pkey" PRIMARY KEY ("epoch")
);
