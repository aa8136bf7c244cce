/**
 * The benchmark's own Redis Cluster, for the `write-through-cluster` mode: 3
 * masters and 3 replicas on free loopback ports (`redis-server
 * --cluster-enabled yes`, then `redis-cli --cluster create
 * --cluster-replicas 1`), in a temporary folder. `stop()` kills the six
 * processes and removes the folder; if the benchmark exits without calling
 * it (an error, a second Ctrl-C), an exit hook does the same.
 *
 * Also the cluster's slot map (`CLUSTER SLOTS`), so the benchmark can tell
 * which master serves each key it expects the API to read (`nodesOfKeys`),
 * with the same slot function as ioredis (`cluster-key-slot`).
 *
 * Source of the commands: https://redis.io/docs/latest/operate/oss_and_stack/management/scaling/
 * (creating a cluster with redis-cli) and https://redis.io/docs/latest/commands/cluster-slots/.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import calculateSlot from 'cluster-key-slot';
import { Redis } from 'ioredis';
import { freePort } from '../consistency/processes.js';
import { now, sleep, throwIfAborted } from '../consistency/time.js';

const run = promisify(execFile);

/** Every hash slot of a Redis Cluster: 0 to 16383. */
export const CLUSTER_SLOTS = 16384;

/** A range of hash slots and the master serving it (`host:port`, as ioredis names nodes). */
export interface SlotRange {
  /** First slot of the range, inclusive. */
  from: number;
  /** Last slot of the range, inclusive. */
  to: number;
  /** `host:port` of the master serving the range. */
  master: string;
}

/** A running cluster started by `startBenchCluster`. */
export interface BenchCluster {
  /** `host:port` of every node, in the order given to `redis-cli --cluster create`. */
  nodes: string[];
  /** `host:port` of the masters (3), sorted. */
  masters: string[];
  /** The environment that points the API at the cluster (REDIS_URL emptied: only one topology may be set). */
  env: { REDIS_URL: ''; REDIS_CLUSTER_NODES: string };
  /** `redis_version` of the nodes (`INFO server`). */
  redisVersion: string;
  /** The temporary folder of the nodes' files (removed by `stop`). */
  dir: string;
  /** How long starting and settling the cluster took, in ms. */
  startupMs: number;
  /** The slot map as the first node answering `CLUSTER SLOTS` sees it, sorted by `from`. */
  slots(): Promise<SlotRange[]>;
  /** Kills every node (SIGKILL: nothing of it is kept) and removes `dir`. Never rejects; idempotent. */
  stop(): Promise<void>;
}

export interface BenchClusterOptions {
  /** Where the temporary folder is created. @default os.tmpdir() */
  parentDir?: string;
  /** Gives up when the cluster is not whole (every slot served, every replica linked) within this, in ms. @default 60000 */
  timeoutMs?: number;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

/** Nodes of every cluster not stopped yet, killed by the exit hook. */
const running = new Set<{ children: ChildProcess[]; dir: string }>();
let exitHookInstalled = false;

function killNow(entry: { children: ChildProcess[]; dir: string }): void {
  for (const child of entry.children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(entry.dir, { recursive: true, force: true });
}

/** `redis-cli -h host -p port <args>`: stdout; rejects on an error reply (but not for `--cluster` commands). */
async function cli(node: string, ...args: string[]): Promise<string> {
  const [host, port] = node.split(':');
  const { stdout } = await run('redis-cli', ['-h', host!, '-p', port!, ...args], { timeout: 30_000 });
  if (/^(\(error\)|ERR|CLUSTERDOWN)/m.test(stdout)) throw new Error(`redis-cli -p ${port} ${args.join(' ')}: ${stdout.trim()}`);
  return stdout;
}

/** Starts one cluster-enabled `redis-server` and resolves once it accepts connections; rejects if it exits first. */
async function startNode(port: number, dir: string): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      `nodes-${port}.conf`,
      '--cluster-node-timeout',
      '5000',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.once('error', (error) => reject(new Error(`cannot start redis-server: ${error.message}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
      if (output.includes('Ready to accept connections')) resolve();
    });
    child.stderr!.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
    child.once('exit', (code, signal) => reject(new Error(`redis-server on port ${port} exited (${code ?? signal}) before it was ready:\n${output.trim()}`)));
  });
  // Keep draining its output (a full pipe would block the server).
  child.stdout!.resume();
  child.stderr!.resume();
  return child;
}

/** Parses a `CLUSTER SLOTS` reply (`[[from, to, [ip, port, id, ...], replicas...], ...]`) into ranges sorted by `from`. */
export function parseClusterSlots(reply: unknown): SlotRange[] {
  if (!Array.isArray(reply)) throw new TypeError('CLUSTER SLOTS: not an array');
  return reply
    .map((entry: unknown) => {
      const [from, to, master] = entry as [number, number, [string, number, ...unknown[]]];
      if (!Array.isArray(master)) throw new TypeError(`CLUSTER SLOTS: malformed entry ${JSON.stringify(entry)}`);
      return { from: Number(from), to: Number(to), master: `${master[0]}:${master[1]}` };
    })
    .sort((a, b) => a.from - b.from);
}

/** `CLUSTER SLOTS` of one node (`host:port`), parsed. Rejects if the node does not answer within 5 s. */
export async function clusterSlots(node: string): Promise<SlotRange[]> {
  const [host, port] = node.split(':');
  const client = new Redis({ host: host!, port: Number(port), lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 5000, commandTimeout: 5000 });
  client.on('error', () => {});
  try {
    await client.connect();
    return parseClusterSlots(await client.call('CLUSTER', 'SLOTS'));
  } finally {
    client.disconnect();
  }
}

/** The master serving `slot` (0 to 16383) in `ranges`, or undefined if no range covers it. */
export function masterOfSlot(ranges: readonly SlotRange[], slot: number): string | undefined {
  return ranges.find((r) => slot >= r.from && slot <= r.to)?.master;
}

/**
 * Which master serves each of `keys`: a map from `host:port` to the keys it
 * serves (in the order given) and their distinct hash slots. A key whose slot
 * no range covers is put under `slot:<n>` (never the case once the cluster is
 * whole). With `ranges` empty (one Redis, no cluster) every key goes to `single`.
 */
export function nodesOfKeys(ranges: readonly SlotRange[], keys: readonly string[], single = 'redis'): Map<string, { keys: string[]; slots: Set<number> }> {
  const out = new Map<string, { keys: string[]; slots: Set<number> }>();
  for (const key of keys) {
    const slot = calculateSlot(key);
    const node = ranges.length === 0 ? single : (masterOfSlot(ranges, slot) ?? `slot:${slot}`);
    let entry = out.get(node);
    if (!entry) out.set(node, (entry = { keys: [], slots: new Set() }));
    entry.keys.push(key);
    entry.slots.add(slot);
  }
  return out;
}

/**
 * Starts a Redis Cluster of 3 masters and 3 replicas on free loopback ports
 * (each below 55000, so its cluster bus port, +10000, is valid too) and waits
 * until it is whole: every node says `cluster_state:ok`, 3 masters serve all
 * 16384 slots, every replica's link to its master is up.
 *
 * Needs `redis-server` and `redis-cli` (Redis 5 or later) on the PATH. Rejects
 * (after killing whatever it started and removing its folder) if a node does
 * not start, `redis-cli --cluster create` fails, the cluster is not whole
 * within `timeoutMs`, or `signal` aborts (with the consistency checker's
 * `AbortedError`).
 */
export async function startBenchCluster(options: BenchClusterOptions = {}): Promise<BenchCluster> {
  const t0 = now();
  const timeoutMs = options.timeoutMs ?? 60_000;
  const dir = mkdtempSync(path.join(options.parentDir ?? tmpdir(), 'bench-cluster-'));
  const entry = { children: [] as ChildProcess[], dir };
  running.add(entry);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const e of running) killNow(e);
    });
  }
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    const exits = entry.children
      .filter((child) => child.exitCode === null && child.signalCode === null)
      .map((child) => new Promise((resolve) => child.once('exit', resolve)));
    for (const child of entry.children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await Promise.race([Promise.all(exits), sleep(5000)]);
    rmSync(dir, { recursive: true, force: true });
    running.delete(entry);
  };
  try {
    const ports: number[] = [];
    while (ports.length < 6) {
      const port = await freePort();
      if (port < 55000 && !ports.includes(port)) ports.push(port);
    }
    const nodes = ports.map((port) => `127.0.0.1:${port}`);
    const started = await Promise.allSettled(ports.map((port) => startNode(port, dir)));
    for (const s of started) if (s.status === 'fulfilled') entry.children.push(s.value);
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    throwIfAborted(options.signal);
    await run('redis-cli', ['--cluster', 'create', ...nodes, '--cluster-replicas', '1', '--cluster-yes'], { timeout: 60_000 });

    const deadline = now() + timeoutMs;
    let state = '';
    for (;;) {
      throwIfAborted(options.signal);
      state = await wholeness(nodes);
      if (state === 'whole') break;
      if (now() > deadline) throw new Error(`the Redis Cluster was not whole within ${timeoutMs} ms: ${state}`);
      await sleep(200, options.signal);
    }
    const ranges = await clusterSlots(nodes[0]!);
    const masters = [...new Set(ranges.map((r) => r.master))].sort();
    const redisVersion = /redis_version:(\S+)/.exec(await cli(nodes[0]!, 'info', 'server'))?.[1] ?? 'unknown';
    const startupMs = Math.round(now() - t0);
    options.log?.(
      `  Redis Cluster ${redisVersion}: masters ${masters.join(', ')}, replicas ${nodes.filter((n) => !masters.includes(n)).join(', ')}, whole in ${(startupMs / 1000).toFixed(1)} s (files in ${dir})`,
    );
    return {
      nodes,
      masters,
      env: { REDIS_URL: '', REDIS_CLUSTER_NODES: nodes.join(',') },
      redisVersion,
      dir,
      startupMs,
      slots: async () => {
        let last: unknown;
        for (const node of nodes) {
          try {
            return await clusterSlots(node);
          } catch (error) {
            last = error;
          }
        }
        throw new Error(`no node of the cluster answers CLUSTER SLOTS: ${String(last)}`);
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** 'whole', or what is still missing (for the error message). */
async function wholeness(nodes: readonly string[]): Promise<string> {
  try {
    const infos = await Promise.all(nodes.map((node) => cli(node, 'cluster', 'info')));
    const notOk = nodes.filter((_, i) => !infos[i]!.includes('cluster_state:ok'));
    if (notOk.length) return `cluster_state not ok on ${notOk.join(', ')}`;
    const ranges = await clusterSlots(nodes[0]!);
    const covered = ranges.reduce((n, r) => n + r.to - r.from + 1, 0);
    const masters = new Set(ranges.map((r) => r.master));
    if (covered !== CLUSTER_SLOTS || masters.size !== 3) return `${covered} slots served by ${masters.size} masters`;
    const replicas = nodes.filter((n) => !masters.has(n));
    const links = await Promise.all(replicas.map((node) => cli(node, 'info', 'replication')));
    const down = replicas.filter((_, i) => !links[i]!.includes('master_link_status:up'));
    return down.length ? `replication link not up on ${down.join(', ')}` : 'whole';
  } catch (error) {
    return (error as Error).message;
  }
}
