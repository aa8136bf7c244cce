-- CreateTable
CREATE TABLE "CacheEpoch" (
    "epoch" SERIAL NOT NULL,
    "identity" TEXT NOT NULL,
    "startedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "CacheEpoch_pkey" PRIMARY KEY ("epoch")
);
