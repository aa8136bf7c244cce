/**
 * A real Redis Cluster of the test's own on loopback: 3 masters and 3
 * replicas (`redis-server --cluster-enabled yes`, then `redis-cli --cluster
 * create`), on free ports, in a temporary folder removed afterwards.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort, stopRedis } from './redis-server.js';

const run = promisify(execFile);

export interface TestCluster {
  /** `host:port` of every node, masters first as created. */
  nodes: string[];
  /** For REDIS_CLUSTER_NODES. */
  env: { REDIS_URL: ''; REDIS_CLUSTER_NODES: string };
  /** redis-cli against one node, e.g. `cli(node, 'cluster', 'info')`. */
  cli(node: string, ...args: string[]): Promise<string>;
  /** Signals one node's process: SIGSTOP freezes it with every connection left open (a partition), SIGCONT resumes it. */
  signal(node: string, signal: 'SIGSTOP' | 'SIGCONT'): void;
  /** Waits until every node says cluster_state:ok and agrees on 3 masters. */
  settled(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

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
      '1500',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
    ],
    { stdio: 'pipe' },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('Ready to accept connections') && resolve());
    child.once('exit', (code) => reject(new Error(`redis-server on ${port} exited with ${code}`)));
  });
  return child;
}

export async function startCluster(): Promise<TestCluster> {
  const dir = mkdtempSync(path.join(tmpdir(), 'wt-cluster-'));
  const ports: number[] = [];
  while (ports.length < 6) {
    const port = await freePort();
    // Cluster buses listen on port + 10000: keep both free and distinct.
    if (port < 55000 && !ports.includes(port)) ports.push(port);
  }
  const children = await Promise.all(ports.map((port) => startNode(port, dir)));
  const nodes = ports.map((port) => `127.0.0.1:${port}`);
  const cli = async (node: string, ...args: string[]) => {
    const [host, port] = node.split(':');
    return (await run('redis-cli', ['-h', host!, '-p', port!, ...args], { timeout: 60_000 })).stdout;
  };
  await run('redis-cli', ['--cluster', 'create', ...nodes, '--cluster-replicas', '1', '--cluster-yes'], { timeout: 60_000 });
  const cluster: TestCluster = {
    nodes,
    env: { REDIS_URL: '', REDIS_CLUSTER_NODES: nodes.join(',') },
    cli,
    signal(node, signal) {
      const child = children[nodes.indexOf(node)];
      if (!child) throw new Error(`no cluster node ${node}`);
      child.kill(signal);
    },
    async settled(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const infos = await Promise.all(nodes.map((node) => cli(node, 'cluster', 'info').catch(() => '')));
        if (infos.every((info) => info.includes('cluster_state:ok') && info.includes('cluster_size:3'))) return;
        if (Date.now() > deadline) throw new Error(`cluster not settled: ${infos.map((i) => /cluster_state:\w+/.exec(i)?.[0]).join(' ')}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
    async stop() {
      await Promise.all(children.map(stopRedis));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await cluster.settled();
  return cluster;
}
