/**
 * The processes a run owns: one `redis-server` and the API instances
 * (`node --import tsx src/main.ts`). Each can be killed and started again on
 * the same port. Every child is registered, so it is killed when the run ends,
 * on SIGINT, on an error, and (synchronously, as a last resort) when the
 * checker's own process exits.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, copyFileSync, createWriteStream, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { createServer } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { now, sleep } from './time.js';

const runFile = promisify(execFile);
const children = new Set<ChildProcess>();
let exitHookInstalled = false;

function register(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', killAllChildrenNow);
  }
}

/** SIGKILLs every child still running (synchronous: usable from an 'exit' handler). */
export function killAllChildrenNow(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

/** A TCP port free on the loopback interface right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function running(child: ChildProcess | undefined): boolean {
  return child !== undefined && child.exitCode === null && child.signalCode === null;
}

/** Sends `signal`, waits for the exit; SIGKILL after `graceMs`. */
async function terminate(child: ChildProcess | undefined, signal: NodeJS.Signals, graceMs = 5000): Promise<void> {
  if (!child || !running(child)) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  if (signal !== 'SIGKILL') {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  } else {
    await exited;
  }
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** A private `redis-server` on a loopback port, without persistence (snapshots only by `SAVE`). */
export class RedisServer {
  readonly url: string;
  private child: ChildProcess | undefined;
  /** Times started (1 after the first start). */
  starts = 0;

  constructor(
    readonly port: number,
    private readonly logFile: string,
    /** More `redis-server` arguments (e.g. Cluster mode). */
    private readonly extraArgs: readonly string[] = [],
  ) {
    this.url = `redis://127.0.0.1:${port}`;
  }

  get isRunning(): boolean {
    return running(this.child);
  }

  /** Where `SAVE` writes its snapshot (next to the log), loaded by `start({ fromSnapshot: true })`. */
  get snapshotFile(): string {
    return path.join(path.dirname(this.logFile), `dump-${this.port}.rdb`);
  }

  /**
   * Starts it and resolves once it accepts connections: empty, or (`fromSnapshot`) with the
   * data of the last `SAVE`, as a Redis with persistence comes back after a crash, or with
   * the snapshot in the file `fromSnapshot` names (a backup restored).
   */
  async start(timeoutMs = 10_000, { fromSnapshot = false, replicaOf }: { fromSnapshot?: boolean | string; replicaOf?: number } = {}): Promise<void> {
    if (this.isRunning) throw new Error(`redis-server on port ${this.port} is already running`);
    if (typeof fromSnapshot === 'string') copyFileSync(fromSnapshot, this.snapshotFile);
    else if (!fromSnapshot) rmSync(this.snapshotFile, { force: true });
    const log = openSync(this.logFile, 'a');
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--logfile',
        '',
        '--dir',
        path.dirname(this.snapshotFile),
        '--dbfilename',
        path.basename(this.snapshotFile),
        ...(replicaOf ? ['--replicaof', '127.0.0.1', String(replicaOf)] : []),
        ...this.extraArgs,
      ],
      { stdio: ['ignore', 'pipe', log] },
    );
    closeSync(log);
    register(child);
    this.child = child;
    this.starts++;
    let output = '';
    const logStream = createWriteStream(this.logFile, { flags: 'a' });
    child.stdout!.pipe(logStream);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`redis-server on port ${this.port} was not ready within ${timeoutMs} ms:\n${output.slice(-2000)}`));
      }, timeoutMs);
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(new Error(`cannot start redis-server (is it installed and on PATH?): ${error.message}`));
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`redis-server on port ${this.port} exited with ${code ?? signal} before it was ready:\n${output.slice(-2000)}`));
      });
      child.stdout!.on('data', (chunk: Buffer) => {
        if (output.length > 100_000) return;
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    output = '';
  }

  /** Kills it with `signal` (SIGKILL: no chance to do anything) and waits for the exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await terminate(this.child, signal);
  }

  /**
   * SIGSTOP, then SIGCONT after `ms`: the server freezes with every connection left open, as
   * behind a network partition (clients see timeouts, not a disconnection).
   */
  async freeze(ms: number): Promise<void> {
    if (!this.child || !running(this.child)) throw new Error(`redis-server on port ${this.port} is not running`);
    this.child.kill('SIGSTOP');
    await sleep(ms);
    this.child.kill('SIGCONT');
  }

  /** Waits for the process to exit by itself (after `SHUTDOWN NOSAVE`); SIGKILL after `timeoutMs`. */
  async waitForExit(timeoutMs = 5000): Promise<void> {
    const child = this.child;
    if (!child || !running(child)) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
  }

  async stop(): Promise<void> {
    await terminate(this.child, 'SIGTERM');
  }
}

/**
 * A Sentinel set: two redis-servers (one primary, one replica, as the
 * Sentinels decide after each failover) and three Sentinels
 * (`redis-server <conf> --sentinel`, failover after 1 s without the primary).
 */
export class SentinelSet {
  readonly name = 'checker';
  readonly servers: [RedisServer, RedisServer];
  private readonly sentinels: { port: number; conf: string; child?: ChildProcess }[];

  constructor(
    ports: { servers: [number, number]; sentinels: number[] },
    private readonly logDir: string,
  ) {
    this.servers = [new RedisServer(ports.servers[0], path.join(logDir, 'redis-1.log')), new RedisServer(ports.servers[1], path.join(logDir, 'redis-2.log'))];
    this.sentinels = ports.sentinels.map((port) => ({ port, conf: path.join(logDir, `sentinel-${port}.conf`) }));
  }

  /** For REDIS_SENTINELS and REDIS_SENTINEL_NAME. */
  get env(): Record<string, string> {
    return { REDIS_SENTINELS: this.sentinels.map((s) => `127.0.0.1:${s.port}`).join(','), REDIS_SENTINEL_NAME: this.name };
  }

  async start(): Promise<void> {
    const [first, second] = this.servers;
    await first.start();
    await second.start(10_000, { replicaOf: first.port });
    for (const sentinel of this.sentinels) {
      writeFileSync(
        sentinel.conf,
        [
          `port ${sentinel.port}`,
          'bind 127.0.0.1',
          `dir ${this.logDir}`,
          `sentinel monitor ${this.name} 127.0.0.1 ${first.port} 2`,
          `sentinel down-after-milliseconds ${this.name} 1000`,
          `sentinel failover-timeout ${this.name} 5000`,
        ].join('\n') + '\n',
      );
      const log = openSync(path.join(this.logDir, `sentinel-${sentinel.port}.log`), 'a');
      const child = spawn('redis-server', [sentinel.conf, '--sentinel'], { stdio: ['ignore', log, log] });
      closeSync(log);
      register(child);
      sentinel.child = child;
    }
    await this.waitFor(async (s) => ((await s.call('SENTINEL', 'replicas', this.name)) as unknown[]).length > 0, 'the Sentinels to see the replica');
  }

  /** Asks the first Sentinel that answers. */
  private async ask<T>(question: (client: Redis) => Promise<T>): Promise<T> {
    let last: unknown;
    for (const { port } of this.sentinels) {
      const client = new Redis(port, '127.0.0.1', {
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
        connectTimeout: 1000,
      });
      client.on('error', () => {});
      try {
        await client.connect();
        return await question(client);
      } catch (error) {
        last = error;
      } finally {
        client.disconnect();
      }
    }
    throw last;
  }

  /** Waits (up to 30 s) until `check` holds on a Sentinel. */
  async waitFor(check: (sentinel: Redis) => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
    const deadline = now() + timeoutMs;
    while (!(await this.ask(check).catch(() => false))) {
      if (now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(100);
    }
  }

  /** The server the Sentinels name as primary now. */
  async primary(): Promise<RedisServer> {
    const [, port] = (await this.ask((s) => s.call('SENTINEL', 'get-master-addr-by-name', this.name))) as [string, string];
    const server = this.servers.find((s) => s.port === Number(port));
    if (!server) throw new Error(`the Sentinels name an unknown primary on port ${port}`);
    return server;
  }

  /** The other server. */
  async replica(): Promise<RedisServer> {
    const primary = await this.primary();
    return this.servers.find((s) => s !== primary)!;
  }

  /** Sends a Sentinel command (e.g. `SENTINEL FAILOVER <name>`). */
  command(...args: string[]): Promise<unknown> {
    return this.ask((s) => s.call(args[0]!, ...args.slice(1)));
  }

  async stop(): Promise<void> {
    await Promise.all(this.sentinels.map((s) => terminate(s.child, 'SIGKILL')));
    await Promise.all(this.servers.map((s) => s.kill('SIGKILL')));
  }
}

export interface ApiInstanceOptions {
  /** Short name used in the report: `A`, `B`, ... */
  name: string;
  port: number;
  /** Project root (holds `src/main.ts` and `node_modules/tsx`). */
  root: string;
  env: Record<string, string>;
  logFile: string;
  /** Extra options for node, before the script (e.g. `--cpu-prof`). */
  nodeArgs?: string[];
  /** The script, relative to `root`. @default "src/main.ts" */
  entry?: string;
}

/** One API process, `node --import tsx src/main.ts`, on a fixed port. */
export class ApiInstance {
  readonly name: string;
  readonly port: number;
  readonly baseUrl: string;
  readonly logFile: string;
  private child: ChildProcess | undefined;
  /** False from the moment it is killed until it is ready again: clients send nothing then. */
  up = false;
  /** Mutations sent to this instance and not answered yet (the API-kill fault aims at these). */
  inFlightMutations = 0;
  starts = 0;
  kills = 0;

  constructor(private readonly options: ApiInstanceOptions) {
    this.name = options.name;
    this.port = options.port;
    this.baseUrl = `http://127.0.0.1:${options.port}`;
    this.logFile = options.logFile;
  }

  get isRunning(): boolean {
    return running(this.child);
  }

  /** Starts the process and resolves once `/readyz` answers 200 (PostgreSQL and Redis reachable). */
  async start(timeoutMs = 60_000): Promise<void> {
    if (this.isRunning) throw new Error(`API ${this.name} is already running`);
    const log = openSync(this.logFile, 'a');
    const child = spawn(process.execPath, [...(this.options.nodeArgs ?? []), '--import', 'tsx', this.options.entry ?? path.join('src', 'main.ts')], {
      cwd: this.options.root,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...this.options.env, PORT: String(this.port), HOST: '127.0.0.1' },
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    register(child);
    this.child = child;
    this.starts++;
    let spawnError: Error | undefined;
    child.once('error', (error) => (spawnError = error));
    const deadline = now() + timeoutMs;
    for (;;) {
      if (spawnError) throw new Error(`cannot start API ${this.name}: ${spawnError.message}`);
      if (!running(child)) {
        throw new Error(`API ${this.name} (port ${this.port}) exited with ${child.exitCode ?? child.signalCode} before it was ready:\n${tail(this.logFile)}`);
      }
      if (await this.ready()) break;
      if (now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`API ${this.name} (port ${this.port}) was not ready within ${timeoutMs} ms:\n${tail(this.logFile)}`);
      }
      await sleep(100);
    }
    this.up = true;
  }

  /** True if `/readyz` answers 200 now. */
  async ready(): Promise<boolean> {
    try {
      const response = await fetch(`${this.baseUrl}/readyz`, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      return response.status === 200;
    } catch {
      return false;
    }
  }

  /** SIGKILL: the process gets no chance to finish anything (a crash between COMMIT and the cache write). */
  async kill(): Promise<void> {
    this.up = false;
    this.kills++;
    await terminate(this.child, 'SIGKILL');
  }

  /** Graceful stop (SIGTERM: drains requests), SIGKILL after 5 s. */
  async stop(): Promise<void> {
    this.up = false;
    await terminate(this.child, 'SIGTERM');
  }
}

/** One line of `CLUSTER NODES`, as one node sees the cluster. */
export interface ClusterNodeView {
  id: string;
  port: number;
  role: 'master' | 'replica';
  /** For a replica: the id of its master. */
  masterId: string | null;
  /** Flagged `fail` or `fail?` by the node asked. */
  failing: boolean;
  /** Hash slots it serves (masters). */
  slots: number;
}

/** Parses `CLUSTER NODES` (https://redis.io/docs/latest/commands/cluster-nodes/). */
export function parseClusterNodes(text: string): ClusterNodeView[] {
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id, address, flags, master, , , , , ...slots] = line.trim().split(' ');
      const flagList = flags!.split(',');
      let count = 0;
      for (const range of slots) {
        if (range.startsWith('[')) continue; // a slot being migrated
        const [from, to] = range.split('-').map(Number);
        count += to === undefined ? 1 : to - from! + 1;
      }
      return {
        id: id!,
        port: Number(/:(\d+)@/.exec(address!)?.[1]),
        role: flagList.includes('master') ? ('master' as const) : ('replica' as const),
        masterId: master === '-' ? null : master!,
        failing: flagList.includes('fail') || flagList.includes('fail?'),
        slots: count,
      };
    });
}

/**
 * A Redis Cluster of 3 masters and 3 replicas on loopback
 * (`redis-server --cluster-enabled yes`, then `redis-cli --cluster create
 * --cluster-replicas 1`), node timeout 1.5 s. Each node keeps its
 * `nodes-<port>.conf`, so a node killed and started again rejoins with its
 * identity (as a replica, if it was failed over meanwhile).
 */
export class ClusterSet {
  readonly servers: RedisServer[];

  constructor(
    ports: readonly number[],
    private readonly logDir: string,
  ) {
    this.servers = ports.map(
      (port) =>
        new RedisServer(port, path.join(logDir, `redis-${port}.log`), [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          `nodes-${port}.conf`,
          '--cluster-node-timeout',
          '1500',
        ]),
    );
  }

  /** Six free ports whose cluster bus ports (port + 10000) are valid too. */
  static async freePorts(): Promise<number[]> {
    const ports: number[] = [];
    while (ports.length < 6) {
      const port = await freePort();
      if (port < 55000 && !ports.includes(port)) ports.push(port);
    }
    return ports;
  }

  /** For REDIS_CLUSTER_NODES (REDIS_URL emptied). */
  get env(): Record<string, string> {
    return { REDIS_URL: '', REDIS_CLUSTER_NODES: this.servers.map((s) => `127.0.0.1:${s.port}`).join(',') };
  }

  get nodes(): { host: string; port: number }[] {
    return this.servers.map((s) => ({ host: '127.0.0.1', port: s.port }));
  }

  server(port: number): RedisServer {
    const server = this.servers.find((s) => s.port === port);
    if (!server) throw new Error(`no cluster node on port ${port}`);
    return server;
  }

  async start(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.start()));
    await cli(['--cluster', 'create', ...this.servers.map((s) => `127.0.0.1:${s.port}`), '--cluster-replicas', '1', '--cluster-yes']);
    await this.waitWhole(30_000);
  }

  /** `CLUSTER NODES` as the first running node that answers sees it. */
  async view(): Promise<ClusterNodeView[]> {
    let last: unknown;
    for (const server of this.servers.filter((s) => s.isRunning)) {
      try {
        return parseClusterNodes(await cli(['-p', String(server.port), 'cluster', 'nodes']));
      } catch (error) {
        last = error;
      }
    }
    throw new Error(`no cluster node answers: ${String(last)}`);
  }

  /** redis-cli against one node; rejects on a connection error or an error reply. */
  command(port: number, ...args: string[]): Promise<string> {
    return cli(['-p', String(port), ...args]);
  }

  /**
   * True when every node runs and says `cluster_state:ok`, the first node sees
   * 3 masters serving all 16384 slots, each with a replica whose link is up.
   */
  async whole(): Promise<boolean> {
    return (await this.notWhole()) === null;
  }

  /** Why the cluster is not whole (see `whole`), or null when it is. */
  private async notWhole(): Promise<string | null> {
    const down = this.servers.filter((s) => !s.isRunning);
    if (down.length > 0) return `not running: ${down.map((s) => s.port).join(', ')}`;
    try {
      const infos = await Promise.all(this.servers.map(async (s) => ({ port: s.port, info: await this.command(s.port, 'cluster', 'info') })));
      const failing = infos.filter((i) => !i.info.includes('cluster_state:ok'));
      if (failing.length > 0) return `cluster_state not ok on ${failing.map((i) => i.port).join(', ')}`;
      const view = await this.view();
      const masters = view.filter((n) => n.role === 'master' && n.slots > 0 && !n.failing);
      if (masters.length !== 3 || masters.reduce((n, m) => n + m.slots, 0) !== 16384)
        return `masters serving slots: ${masters.map((m) => `${m.port} (${m.slots})`).join(', ')}`;
      const replicas = view.filter((n) => n.role === 'replica' && !n.failing);
      const orphans = masters.filter((m) => !replicas.some((r) => r.masterId === m.id));
      if (orphans.length > 0) return `masters without a replica: ${orphans.map((m) => m.port).join(', ')}`;
      const links = await Promise.all(replicas.map(async (r) => ({ port: r.port, info: await this.command(r.port, 'info', 'replication') })));
      const unlinked = links.filter((l) => !l.info.includes('master_link_status:up'));
      return unlinked.length > 0
        ? `replicas whose link is not up: ${unlinked.map((l) => `${l.port} (${/^role:(\w+)/m.exec(l.info)?.[1] ?? '?'})`).join(', ')}`
        : null;
    } catch (error) {
      return `a node did not answer: ${(error as Error).message}`;
    }
  }

  async waitWhole(timeoutMs = 60_000): Promise<void> {
    const deadline = now() + timeoutMs;
    let reason: string | null;
    while ((reason = await this.notWhole()) !== null) {
      if (now() > deadline)
        throw new Error(`the cluster was not whole again within ${timeoutMs} ms (${reason}): ${JSON.stringify(await this.view().catch(() => []))}`);
      await sleep(100);
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.kill('SIGKILL')));
  }
}

/** Runs redis-cli on 127.0.0.1 (60 s at most); its stdout. An `(error)` reply rejects. */
async function cli(args: string[]): Promise<string> {
  const { stdout } = await runFile('redis-cli', ['-h', '127.0.0.1', ...args], { timeout: 60_000 });
  if (/^(\(error\)|ERR|CROSSSLOT|MOVED|CLUSTERDOWN)/m.test(stdout) && !args.includes('--cluster'))
    throw new Error(`redis-cli ${args.join(' ')}: ${stdout.trim()}`);
  return stdout;
}
