(globalThis as any).PRISMA_WASM_PANIC_REGISTRY = { set_message(m: string) { console.log('PANIC:', m); } };
process.on('uncaughtException', (e) => { console.log('UNCAUGHT', e); });
const { createMigration } = await import('../src/db/migrations.js');
try { console.log('result', await createMigration({ databaseUrl: process.env.DATABASE_URL!, name: 'drift_check' })); } catch (e) { console.log('ERR', e); }
