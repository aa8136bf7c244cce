-- CreateTable
CREATE TABLE "CacheOutbox" (
    "id" BIGSERIAL NOT NULL,
    "entries" JSONB NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "CacheOutbox_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "CacheOutbox_createdAt_idx" ON "CacheOutbox"("createdAt");
