/**
 * The embedded database (PGlite, no DATABASE_URL) as a new user meets it,
 * through the real entry points run as child processes (src/main.ts,
 * scripts/seed.ts, scripts/migrate.ts under tsx), each on a data folder of
 * its own under the system's temporary folder (never the repository's
 * .data), with no DATABASE_URL and no REDIS_URL:
 *
 * - one process at a time per folder: a second opener is refused at once,
 *   naming the holder, and nothing is corrupted (the first still serves; the
 *   folder opens again afterwards); a dead process's lock is taken over;
 * - the first start on an empty database loads the demo data, unless
 *   SEED_DEMO_DATA=false;
 * - SIGTERM exits 0 at once; db:migrate and db:seed exit by themselves;
 * - and the lock itself, in process: live, foreign-host and unreadable locks.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ENTRY = { api: 'src/main.ts', seed: 'scripts/seed.ts', migrate: 'scripts/migrate.ts' } as const;
/** Small demo data: the same code path as the defaults, in less time. */
const DEMO = { SEED_PRODUCTS: '30', SEED_CUSTOMERS: '3' };

let root: string;
/** A migrated, empty data folder, copied for each test (initdb takes seconds). */
let template: string;
const children = new Set<ChildProcess>();
/** How long each exit took, in ms, printed at the end: SIGTERM to exit, or last output to exit. */
const exitTimes: string[] = [];

interface Run {
  child: ChildProcess;
  output(): string;
  /** Resolves on exit with the code (null if killed by a signal), ms since start, and ms from the last output to the exit. */
  exited: Promise<{ code: number | null; ms: number; afterLastOutputMs: number }>;
}

/** Starts an entry point with tsx on the embedded database in `dataDir`, the in-process cache store, and info logs. */
function start(entry: string, args: string[], dataDir: string, env: Record<string, string> = {}): Run {
  const started = performance.now();
  let lastOutput = started;
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], {
    // Empty, not absent: dotenv never overrides a variable that is set, so a .env file cannot bring a URL back.
    env: {
      ...process.env,
      DATABASE_URL: '',
      REDIS_URL: '',
      DATA_DIR: dataDir,
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      VITEST: '',
      PORT: '0',
      npm_lifecycle_event: '',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let output = '';
  const collect = (data: Buffer) => {
    output += data.toString();
    lastOutput = performance.now();
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<{ code: number | null; ms: number; afterLastOutputMs: number }>((resolve) =>
    child.once('exit', (code) => {
      children.delete(child);
      const now = performance.now();
      resolve({ code, ms: now - started, afterLastOutputMs: now - lastOutput });
    }),
  );
  return { child, output: () => output, exited };
}

/** Runs a script to its end; one still running after `timeoutMs` is killed (and its result says so: code null). */
async function runToEnd(entry: string, args: string[], dataDir: string, env: Record<string, string> = {}, timeoutMs = 20_000) {
  const run = start(entry, args, dataDir, env);
  const timer = setTimeout(() => run.child.kill('SIGKILL'), timeoutMs);
  const result = await run.exited;
  clearTimeout(timer);
  exitTimes.push(`${entry} ${args.join(' ')} after its last output ${Math.round(result.afterLastOutputMs)} (code ${result.code})`);
  return { ...result, output: run.output() };
}

/** Starts the API and waits until it listens; returns the run with its GraphQL URL, `gql` to query it and `stop` (SIGTERM). */
async function startApi(dataDir: string, env: Record<string, string> = {}) {
  const run = start(ENTRY.api, [], dataDir, { ...DEMO, ...env });
  const ready = /ready at (http:\/\/[0-9.:]+\/graphql)/;
  const deadline = performance.now() + 30_000;
  while (!ready.test(run.output()) && run.child.exitCode === null && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  const url = ready.exec(run.output())?.[1];
  if (!url) throw new Error(`the API did not start:\n${run.output()}`);
  const gql = async (query: string, variables?: object, token?: string) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as { data?: any; errors?: unknown[] };
  };
  /** Sends SIGTERM; resolves with the exit code and how long the exit took, in ms. */
  const stop = async () => {
    const sent = performance.now();
    run.child.kill('SIGTERM');
    const { code } = await run.exited;
    const ms = performance.now() - sent;
    const closed = /"drainedMs":(\d+),"closedMs":(\d+)/.exec(run.output());
    exitTimes.push(`API after SIGTERM ${Math.round(ms)} (drained in ${closed?.[1]}, closed in ${closed?.[2]})`);
    return { code, ms };
  };
  return { ...run, url, gql, stop };
}

const PRODUCTS = `{ products(first: 100) { edges { node { sku name } } pageInfo { hasNextPage } } }`;

/** Leaves the lock of a process that has exited (as a SIGKILL would) on `dir`; returns its pid. */
async function leaveDeadLock(dir: string): Promise<number> {
  const dead = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => dead.once('exit', resolve));
  writeFileSync(`${dir}.lock`, JSON.stringify({ pid: dead.pid, command: 'node src/main.ts', host: hostname(), since: new Date().toISOString() }));
  return dead.pid!;
}

function freshDataDir(name: string): string {
  const dir = path.join(root, name);
  cpSync(template, dir, { recursive: true });
  return dir;
}

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'sf-embedded-'));
  template = path.join(root, 'template');
  // db:migrate on a new folder: creates it, applies every migration, and exits by itself.
  const migrate = await runToEnd(ENTRY.migrate, ['deploy'], template, {}, 45_000);
  expect(migrate.output).toMatch(/Applied \d+ migrations?\./);
  expect(migrate.code).toBe(0);
  expect(migrate.afterLastOutputMs).toBeLessThan(3000);
  expect(existsSync(`${template}.lock`)).toBe(false);
}, 60_000);

afterAll(() => {
  console.log(`exit times, ms:\n  ${exitTimes.join('\n  ')}`);
  for (const child of children) child.kill('SIGKILL');
  if (root) rmSync(root, { recursive: true, force: true });
});

// Alone, so that its exit is timed without other PGlite processes starting next to it.
describe('first start on an empty embedded database', () => {
  it('loads the demo data, logged: the catalog and the admin are there; SIGTERM exits 0 at once', async () => {
    const dir = freshDataDir('first-start');
    const api = await startApi(dir);
    expect(api.output()).toMatch(/empty database: loading the demo data \(SEED_DEMO_DATA=false to skip\)/);
    expect(api.output()).toMatch(/demo data loaded: sign in as admin@example.com \/ admin-password/);
    const { edges, pageInfo } = (await api.gql(PRODUCTS)).data.products;
    expect(edges).toHaveLength(30);
    expect(edges[0].node.sku).toBe('DEMO-00001');
    expect(pageInfo.hasNextPage).toBe(false);
    // The catalog's search and sorts on PGlite too (its pg_trgm, loaded at start, indexes the search).
    const found = (await api.gql(`{ products(search: "demo-0001", sort: PRICE_DESC, last: 3) { totalCount edges { node { sku priceCents } } } }`)).data
      .products;
    expect(found.totalCount).toBe(10);
    expect(found.edges).toHaveLength(3);
    for (const edge of found.edges) expect(edge.node.sku).toMatch(/^DEMO-0001\d$/);
    const prices = found.edges.map((e: any) => e.node.priceCents);
    expect(prices).toEqual([...prices].sort((a, b) => b - a));
    const stopped = await api.stop();
    expect(stopped.code).toBe(0);
    expect(stopped.ms, api.output()).toBeLessThan(3000);
    expect(api.output()).toMatch(/"msg":"stopped"/);
  }, 30_000);
});

// Each test has a folder of its own: they run at the same time.
describe.concurrent('one process at a time per data folder; the opt-out', () => {
  it('refuses a second opener at once, naming the holder; the first still serves; the folder opens afterwards', async ({ expect }) => {
    const dir = freshDataDir('second-opener');
    const api = await startApi(dir);
    const lock = JSON.parse(readFileSync(`${dir}.lock`, 'utf8'));
    expect(lock).toMatchObject({ pid: api.child.pid, host: hostname() });

    // The README's old advice: db:seed (and db:migrate) while the API runs. Both are refused, naming the API.
    const seconds = await Promise.all([runToEnd(ENTRY.seed, [], dir, DEMO, 15_000), runToEnd(ENTRY.migrate, ['deploy'], dir, {}, 15_000)]);
    for (const second of seconds) {
      expect(second.code, second.output).toBe(1);
      expect(second.output).toContain(`is in use by process ${api.child.pid} (node src/main.ts`);
      expect(second.output).toContain(`delete ${dir}.lock`);
      // Stopped before touching the folder: before the seed's first line, before the migrations are read.
      expect(second.output).not.toMatch(/Seeding|migrations found|Done in|Applied|RuntimeError|Aborted/);
    }

    // The API is untouched: it reads and writes as before.
    const logIn = await api.gql(`mutation { logIn(input: { email: "admin@example.com", password: "admin-password" }) { token } }`);
    const token: string = logIn.data.logIn.token;
    const created = await api.gql(`mutation { createProduct(input: { sku: "AFTER-1", name: "After", priceCents: 100, stock: 1 }) { sku } }`, {}, token);
    expect(created).toEqual({ data: { createProduct: { sku: 'AFTER-1' } } });
    expect((await api.gql(PRODUCTS)).data.products.edges).toHaveLength(31);

    // Timed loosely here, next to other PGlite processes starting (before the fix: 10 s or more).
    const stopped = await api.stop();
    expect(stopped.code).toBe(0);
    expect(stopped.ms).toBeLessThan(8000);
    expect(existsSync(`${dir}.lock`)).toBe(false);

    // After both: the folder opens, migrates and seeds (each exiting by itself), and holds everything.
    const migrate = await runToEnd(ENTRY.migrate, ['deploy'], dir);
    expect(migrate.output).toMatch(/No pending migrations|Applied \d+ migrations?\./);
    expect(migrate.code).toBe(0);
    expect(migrate.afterLastOutputMs).toBeLessThan(3000);
    const seed = await runToEnd(ENTRY.seed, [], dir, DEMO);
    expect(seed.output).toMatch(/products +0 created, 30 already there/);
    expect(seed.code).toBe(0);
    expect(seed.afterLastOutputMs).toBeLessThan(3000);
    const again = await startApi(dir);
    expect(again.output()).not.toMatch(/demo data/);
    const { edges } = (await again.gql(PRODUCTS)).data.products;
    expect(edges).toHaveLength(31);
    expect(edges.map((e: { node: { sku: string } }) => e.node.sku)).toContain('AFTER-1');
    expect((await again.stop()).code).toBe(0);
  }, 90_000);

  it('takes over the lock of a dead process', async ({ expect }) => {
    const dir = freshDataDir('stale-lock');
    const pid = await leaveDeadLock(dir);
    const migrate = await runToEnd(ENTRY.migrate, ['deploy'], dir);
    expect(migrate.output).toContain(`Took over the lock of process ${pid} (node src/main.ts`);
    expect(migrate.output).toMatch(/No pending migrations|Applied \d+ migrations?\./);
    expect(migrate.code).toBe(0);
    expect(existsSync(`${dir}.lock`)).toBe(false);
  }, 30_000);

  it('leaves it empty with SEED_DEMO_DATA=false (the API takes over a dead lock too)', async ({ expect }) => {
    const dir = freshDataDir('opt-out');
    const pid = await leaveDeadLock(dir);
    const api = await startApi(dir, { SEED_DEMO_DATA: 'false' });
    expect(api.output()).toContain(`took over the lock of ${dir} from process ${pid} (node src/main.ts`);
    expect((await api.gql(PRODUCTS)).data.products.edges).toEqual([]);
    expect(api.output()).not.toMatch(/demo data/);
    const stopped = await api.stop();
    expect(stopped.code).toBe(0);
    expect(stopped.ms).toBeLessThan(8000);
  }, 30_000);
});

describe('lockDataDir (in process, no database)', () => {
  it('refuses a live holder and one on another host, takes over an unreadable lock, and is held once per process', async () => {
    const { DataDirLockedError, lockDataDir } = await import('../src/db/lock.js');
    const dir = path.join(root, 'lock-only');
    mkdirSync(dir);
    const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      writeFileSync(`${dir}.lock`, JSON.stringify({ pid: live.pid, command: 'node -e', host: hostname(), since: 'then' }));
      expect(() => lockDataDir(dir)).toThrow(DataDirLockedError);
      expect(() => lockDataDir(dir)).toThrow(`is in use by process ${live.pid} (node -e, since then)`);
    } finally {
      live.kill('SIGKILL');
    }
    writeFileSync(`${dir}.lock`, JSON.stringify({ pid: 1, command: 'node dist/src/main.js', host: 'elsewhere', since: 'then' }));
    expect(() => lockDataDir(dir)).toThrow('is in use by process 1 on host elsewhere (node dist/src/main.js, since then)');

    writeFileSync(`${dir}.lock`, 'not json');
    const lock = lockDataDir(dir);
    expect(lock.tookOverFrom).toMatchObject({ pid: 0 });
    expect(JSON.parse(readFileSync(`${dir}.lock`, 'utf8'))).toMatchObject({ pid: process.pid, host: hostname() });
    expect(() => lockDataDir(dir)).toThrow(/already open in this process/);
    lock.release();
    expect(existsSync(`${dir}.lock`)).toBe(false);
    lockDataDir(dir).release();
    expect(readdirSync(root).filter((name) => name.startsWith('lock-only.lock'))).toEqual([]); // no temporary files left
  });
});
