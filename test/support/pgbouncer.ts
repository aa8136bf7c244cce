/**
 * A PgBouncer of the test's own: started from an ini and a userlist written to
 * a temporary folder, listening on a free loopback port, pooling into the
 * test PostgreSQL server (SERVER_URL, any database name: a `*` entry), and
 * stopped by the test. Never the system service.
 *
 * PgBouncer refuses to run as root: as root it is started with `-u nobody`
 * (the folder is made readable to it; it logs to its stderr, kept here).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { SERVER_URL } from './databases.js';
import { freePort } from './redis-server.js';

/** Where Debian's `pgbouncer` package puts the binary (/usr/sbin, often not on a user's PATH), and others. */
const CANDIDATES = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer', '/usr/local/sbin/pgbouncer', '/usr/local/bin/pgbouncer', '/opt/homebrew/bin/pgbouncer'];

/** A server's `[databases]` settings as PgBouncer's connection string wants them (`key=value`, values quoted). */
const connstr = (settings: Record<string, string>) =>
  Object.entries(settings)
    .map(([key, value]) => `${key}='${value.replaceAll("'", "''")}'`)
    .join(' ');

/**
 * The pgbouncer binary: on PATH or in the usual places. Throws, saying how to
 * install it, when there is none: tests through PgBouncer must fail, not skip,
 * where it is missing (.ci/run installs it).
 */
export function findPgBouncer(): string {
  const onPath = (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter(Boolean)
    .map((dir) => path.join(dir, 'pgbouncer'));
  for (const candidate of [...onPath, ...CANDIDATES]) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not there
    }
  }
  throw new Error(
    'pgbouncer is not installed (looked on PATH and in /usr/sbin, /usr/bin, /usr/local/sbin, /usr/local/bin): ' +
      'install it with `apt-get update && apt-get install -y pgbouncer` (Debian/Ubuntu; .ci/run does) or `brew install pgbouncer`',
  );
}

/** The version a pgbouncer binary reports, e.g. "1.18.0". */
export function pgBouncerVersion(binary = findPgBouncer()): string {
  const output = execFileSync(binary, ['--version'], { encoding: 'utf8' });
  const version = /PgBouncer\s+([0-9][0-9A-Za-z.]*)/.exec(output)?.[1];
  if (!version) throw new Error(`cannot read the version of ${binary} from: ${output.split('\n')[0]}`);
  return version;
}

export interface PgBouncerOptions {
  /** The PostgreSQL server to pool into (its host, port, user and password; the database comes from the client). @default SERVER_URL */
  server?: string;
  /** @default "transaction" */
  poolMode?: 'session' | 'transaction' | 'statement';
  /** Server connections per database and user (`default_pool_size`), and at most this many per database (`max_db_connections`). @default 3 */
  poolSize?: number;
  /** More `[pgbouncer]` settings, written as given (they win over the defaults here). */
  settings?: Record<string, string | number>;
}

export interface PgBouncer {
  /** The loopback port it listens on. */
  port: number;
  /** Its version, e.g. "1.18.0". */
  version: string;
  /** The settings of its `[pgbouncer]` section, as written. */
  settings: Record<string, string>;
  /** A client URL of `database` through this PgBouncer. */
  url(database: string): string;
  /** Runs a command of its admin console (`SHOW POOLS`, `SHOW STATS`, ...; simple protocol) and returns the rows. */
  admin<T = Record<string, unknown>>(command: string): Promise<T[]>;
  /** What it logged so far (stderr), for failure messages. */
  log(): string;
  /** Stops it (SIGTERM, then SIGKILL after 5 s) and removes its folder. */
  stop(): Promise<void>;
}

/**
 * Starts a PgBouncer on a free loopback port (see the module comment), in
 * `pool_mode = transaction` with 3 server connections per database unless told
 * otherwise, `auth_type = trust` (the client's user is passed on to the server,
 * with the server URL's password if it has one). Resolves once it listens;
 * rejects with its log if it exits first. Throws `findPgBouncer`'s message
 * when pgbouncer is not installed.
 */
export async function startPgBouncer(options: PgBouncerOptions = {}): Promise<PgBouncer> {
  const binary = findPgBouncer();
  const version = pgBouncerVersion(binary);
  const server = new URL(options.server ?? SERVER_URL);
  const user = decodeURIComponent(server.username || 'postgres');
  const password = decodeURIComponent(server.password);
  const poolSize = options.poolSize ?? 3;

  const dir = mkdtempSync(path.join(tmpdir(), 'pgbouncer-'));
  chmodSync(dir, 0o755); // readable by `nobody` when started as root
  const userlist = path.join(dir, 'userlist.txt');
  writeFileSync(userlist, `"${user}" "${password.replaceAll('"', '""')}"\n`, { mode: 0o644 });
  const target = { host: server.hostname.replace(/^\[|\]$/g, ''), port: server.port || '5432', user, ...(password && { password }) };

  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const settings: Record<string, string> = {
      listen_addr: '127.0.0.1',
      listen_port: String(port),
      unix_socket_dir: '',
      auth_type: 'trust',
      auth_file: userlist,
      admin_users: user,
      stats_users: user,
      pool_mode: options.poolMode ?? 'transaction',
      default_pool_size: String(poolSize),
      max_db_connections: String(poolSize),
      min_pool_size: '0',
      reserve_pool_size: '0',
      max_client_conn: '500',
      log_connections: '0',
      log_disconnections: '0',
      ...Object.fromEntries(Object.entries(options.settings ?? {}).map(([key, value]) => [key, String(value)])),
    };
    const ini = path.join(dir, 'pgbouncer.ini');
    writeFileSync(
      ini,
      ['[databases]', `* = ${connstr(target)}`, '', '[pgbouncer]', ...Object.entries(settings).map(([key, value]) => `${key} = ${value}`), ''].join('\n'),
      { mode: 0o644 },
    );
    const asRoot = process.getuid?.() === 0;
    const child = spawn(binary, [...(asRoot ? ['-u', 'nobody'] : []), ini], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    // A test that dies without stopping it must not leave it behind.
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    try {
      await listening(child, () => output, port);
    } catch (error) {
      process.removeListener('exit', killOnExit);
      await terminate(child);
      lastError = error as Error;
      if (/address already in use/i.test(output)) continue; // the free port was taken meanwhile
      break;
    }
    const url = (database: string) => `postgresql://${encodeURIComponent(user)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
    // One admin console connection, opened on first use (tests poll SHOW POOLS often).
    let console_: Promise<pg.Client> | undefined;
    const adminClient = () =>
      (console_ ??= (async () => {
        const client = new pg.Client({ connectionString: url('pgbouncer') });
        client.on('error', () => {}); // closed when pgbouncer stops
        await client.connect();
        return client;
      })());
    return {
      port,
      version,
      settings,
      url,
      async admin<T>(command: string) {
        return (await (await adminClient()).query(command)).rows as T[];
      },
      log: () => output,
      async stop() {
        process.removeListener('exit', killOnExit);
        if (console_) await (await console_.catch(() => null))?.end().catch(() => {});
        await terminate(child);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastError ?? new Error('pgbouncer did not start');
}

/** Resolves once pgbouncer accepts connections on `port`; rejects with its log if it exits or takes over 10 s. */
async function listening(child: ChildProcess, output: () => string, port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  let exited = false;
  child.once('exit', () => (exited = true));
  for (;;) {
    if (exited) throw new Error(`pgbouncer exited at start:\n${output()}`);
    if (Date.now() > deadline) throw new Error(`pgbouncer did not listen on 127.0.0.1:${port} within 10 s:\n${output()}`);
    if (/listening on 127\.0\.0\.1:/.test(output()) && /process up/.test(output())) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
