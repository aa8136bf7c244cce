import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
const pool = new pg.Pool({ connectionString: 'postgresql://postgres@127.0.0.1/postgres' });
const f = new PrismaPg(pool) as any;
console.log('external?', f.externalPool === pool);
const a = await f.connect();
console.log(a.underlyingDriver() === pool);
await pool.end();
