const t0 = Date.now();
const orig = globalThis.setTimeout;
(globalThis as any).setTimeout = function (fn: any, ms: any, ...rest: any[]) {
  if (ms >= 1000) console.log(Date.now() - t0, 'setTimeout', ms, new Error().stack!.split('\n').slice(2, 5).join(' | ').replace(/\s+/g, ' ').slice(0, 250));
  return (orig as any)(fn, ms, ...rest);
};
const { applyMigrations } = await import('../src/db/migrations.js');
const r = await applyMigrations({ databaseUrl: process.env.DATABASE_URL!, log: (l) => console.log(Date.now() - t0, l) });
console.log(Date.now() - t0, 'done', r);
process.on('exit', () => console.log(Date.now() - t0, 'exit'));
