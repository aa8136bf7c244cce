import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import * as bg from '@prisma/schema-engine-wasm/schema_engine_bg';
import { PrismaPg } from '@prisma/adapter-pg';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
const require = createRequire(import.meta.url);
const wasmPath = new URL('./schema_engine_bg.wasm', import.meta.resolve('@prisma/schema-engine-wasm/schema_engine_bg'));
console.log(wasmPath);
const bytes = await readFile(wasmPath);
const { instance } = await WebAssembly.instantiate(bytes, { './schema_engine_bg.js': bg as any });
bg.__wbg_set_wasm(instance.exports);
(instance.exports as any).__wbindgen_start();
console.log('version', bg.version());
const schema = await readFile('prisma/schema.prisma', 'utf8');
const url = 'postgresql://postgres@127.0.0.1:5432/proto_main';
const factory = bindMigrationAwareSqlAdapterFactory(new PrismaPg({ connectionString: url }));
const engine = await bg.SchemaEngine.new({ datamodels: [['schema.prisma', schema]] }, (...a: unknown[]) => console.log('LOG', a), factory);
const filters = { externalTables: [], externalEnums: [] };
const r = await engine.diff({ from: { tag: 'empty' }, to: { tag: 'schemaDatamodel', files: [{ path: 'schema.prisma', content: schema }] }, script: true, exitCode: null, filters });
console.log(JSON.stringify(r.stdout).slice(0, 300));
// shadow test: migrations list with a single migration creating a table
const mig = { baseDir: '/tmp/x', lockfile: { path: 'migration_lock.toml', content: 'provider = "postgresql"\n' }, shadowDbInitScript: '', migrationDirectories: [{ path: '20200101000000_a', migrationFile: { path: 'migration.sql', content: { tag: 'ok' as const, value: 'CREATE TABLE "ShadowProbe" (id int);' } } }] };
try {
const r2 = await engine.diff({ from: { tag: 'migrations', ...mig }, to: { tag: 'empty' }, script: true, exitCode: null, filters });
console.log('r2', r2);
} catch (e) { console.log('ERR', e); }
engine.free();
