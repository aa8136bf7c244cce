#!/bin/sh
# Stand-in for Prisma's native schema engine, which cannot be downloaded here.
# `prisma generate` only needs the path to exist; migrations go through
# scripts/migrate.ts and the WebAssembly schema engine instead.
echo "native schema engine not available: use npm run db:migrate" >&2
exit 1
