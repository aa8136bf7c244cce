import pg from 'pg';
const t0 = Date.now();
const client = new pg.Client({ connectionString: 'postgresql://postgres@127.0.0.1/does_not_exist_xyz', connectionTimeoutMillis: 10_000 });
try { await client.connect(); } catch (e) { console.log((e as any).code); }
process.on('exit', () => console.log(Date.now() - t0, 'exit'));
