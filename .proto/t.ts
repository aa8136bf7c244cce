import { applyMigrations } from '../src/db/migrations.js';
const t0 = Date.now();
const r = await applyMigrations({ databaseUrl: process.env.DATABASE_URL!, log: (l) => console.log(Date.now() - t0, l) });
console.log(Date.now() - t0, 'done', r);
process.on('exit', () => console.log(Date.now() - t0, 'exit'));
const p = process as unknown as { _getActiveHandles(): unknown[]; getActiveResourcesInfo(): string[] };
console.log(p.getActiveResourcesInfo());
for (const h of p._getActiveHandles()) console.log((h as any)?.constructor?.name, (h as any)?._idleTimeout, String((h as any)?._onTimeout).slice(0, 300));
