import pg from 'pg';
const t0 = Date.now();
const origConnect = pg.Client.prototype.connect;
(pg.Client.prototype as any).connect = function (this: any, ...a: any[]) { console.log(Date.now()-t0, 'client connect', this.database, new Error().stack!.split('\n').slice(2,6).join(' | ').replace(/\s+/g,' ').slice(0,300)); return (origConnect as any).apply(this, a); };
const origEnd = pg.Client.prototype.end;
(pg.Client.prototype as any).end = function (this: any, ...a: any[]) { console.log(Date.now()-t0, 'client end', this.database); return (origEnd as any).apply(this, a); };
const { applyMigrations } = await import('../src/db/migrations.js');
const r = await applyMigrations({ databaseUrl: process.env.DATABASE_URL!, log: (l) => console.log(Date.now() - t0, l) });
console.log(Date.now() - t0, 'done', r);
const p = process as any;
for (const h of p._getActiveHandles()) if (h.remotePort) console.log('socket', h.localPort, h.remotePort, h.destroyed);
process.on('exit', () => console.log(Date.now() - t0, 'exit'));
for (const h of p._getActiveHandles()) if (h.constructor.name === 'Timeout' || h._idleTimeout) console.log('timer', h._idleTimeout, String(h._onTimeout).slice(0, 500));
for (const h of p._getActiveHandles()) if (h.remotePort) { console.log(h.readyState, h.pending, h.connecting, h._readableState?.ended, h._writableState?.ended, h.timeout); }
console.log(process.getActiveResourcesInfo());
