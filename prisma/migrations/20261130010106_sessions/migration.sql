-- Sessions (src/auth/sessions.ts): every bearer token names a Session row (its `sid` claim);
-- logOut, logOutEverywhere and changePassword end sessions by deleting rows. Session is a member
-- of the cached User aggregate (src/db/entities.ts), so it gets the change-capture trigger that
-- captureTriggers(cachedEntities, entityMetadata) emits for it: a session deleted with SQL (an
-- operator ending it) reaches the cached user like any write that bypasses the API.
-- Tokens issued before this migration carry no session: they are refused (UNAUTHENTICATED, "not
-- valid"), and their users log in again once.

-- CreateTable
CREATE TABLE "Session" (
    "id" SERIAL NOT NULL,
    "userId" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Session_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Session_userId_idx" ON "Session"("userId");

-- AddForeignKey
ALTER TABLE "Session" ADD CONSTRAINT "Session_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Change capture (the function comes from 20261129200856_write_through_capture).
CREATE TRIGGER "Session_write_through_capture" BEFORE INSERT OR UPDATE OR DELETE ON "Session" FOR EACH ROW EXECUTE FUNCTION prisma_write_through_capture('User', 'id', 'version', 'userId', 'User');
