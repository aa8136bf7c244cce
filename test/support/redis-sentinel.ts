/**
 * A real Sentinel set of the test's own on loopback: a primary, a replica and
 * three Sentinels (`redis-server <conf> --sentinel`), on free ports, in a
 * temporary folder removed afterwards. Failover is quick on purpose
 * (down-after 1 s).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort, stopRedis } from './redis-server.js';

export interface TestSentinels {
  /** The monitored primary's name. */
  name: string;
  primaryPort: number;
  replicaPort: number;
  sentinelPorts: number[];
  /** For REDIS_SENTINELS and REDIS_SENTINEL_NAME. */
  env: { REDIS_URL: ''; REDIS_SENTINELS: string; REDIS_SENTINEL_NAME: string };
  /** The primary's or the replica's process. */
  processes: { primary: ChildProcess; replica: ChildProcess };
  /** The port the Sentinels name as primary now. */
  currentPrimary(): Promise<number>;
  stop(): Promise<void>;
}

async function start(args: string[], ready: string): Promise<ChildProcess> {
  const child = spawn('redis-server', args, { stdio: 'pipe' });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes(ready) && resolve());
    child.once('exit', (code) => reject(new Error(`redis-server ${args[0]} exited with ${code}`)));
  });
  return child;
}

export async function startSentinels(): Promise<TestSentinels> {
  const dir = mkdtempSync(path.join(tmpdir(), 'wt-sentinel-'));
  const name = 'wtprimary';
  const [primaryPort, replicaPort, ...sentinelPorts] = (await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()])) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const node = (port: number) => [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    '--dbfilename',
    `dump-${port}.rdb`,
  ];
  const primary = await start(node(primaryPort), 'Ready to accept connections');
  const replica = await start([...node(replicaPort), '--replicaof', '127.0.0.1', String(primaryPort)], 'Ready to accept connections');
  const sentinels = await Promise.all(
    sentinelPorts.map((port) => {
      const conf = path.join(dir, `sentinel-${port}.conf`);
      writeFileSync(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${name} 127.0.0.1 ${primaryPort} 2`,
          `sentinel down-after-milliseconds ${name} 1000`,
          `sentinel failover-timeout ${name} 5000`,
          `sentinel parallel-syncs ${name} 1`,
        ].join('\n') + '\n',
      );
      return start([conf, '--sentinel'], 'Sentinel ID is');
    }),
  );
  const all = [primary, replica, ...sentinels];
  const sentinels$ = {
    name,
    primaryPort,
    replicaPort,
    sentinelPorts,
    env: { REDIS_URL: '' as const, REDIS_SENTINELS: sentinelPorts.map((p) => `127.0.0.1:${p}`).join(','), REDIS_SENTINEL_NAME: name },
    processes: { primary, replica },
    async currentPrimary() {
      const client = new Redis(sentinelPorts[0]!, '127.0.0.1', { lazyConnect: true });
      await client.connect();
      try {
        const [, port] = (await client.call('SENTINEL', 'get-master-addr-by-name', name)) as [string, string];
        return Number(port);
      } finally {
        client.disconnect();
      }
    },
    async stop() {
      await Promise.all(all.map(stopRedis));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  // Wait until the Sentinels see the replica (a failover needs one).
  const deadline = Date.now() + 20_000;
  for (;;) {
    const client = new Redis(sentinelPorts[0]!, '127.0.0.1', { lazyConnect: true });
    await client.connect();
    const replicas = (await client.call('SENTINEL', 'replicas', name)) as unknown[];
    client.disconnect();
    if (replicas.length > 0) break;
    if (Date.now() > deadline) throw new Error('Sentinels did not discover the replica');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return sentinels$;
}
