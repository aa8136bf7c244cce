/** What the benchmark ran on: CPU, memory, Node, PostgreSQL, Redis, and the code's revision. */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { Redis } from 'ioredis';
import type pg from 'pg';

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  os: string;
  node: string;
  postgres: string;
  redis: string;
  /** Load average (1 min) when the run started: other work on the machine skews the numbers. */
  loadAverageAtStart: number;
  /** Load average (1 min) when the run ended (the run's own processes included). */
  loadAverageAtEnd: number | null;
}

export interface Revision {
  commit: string | null;
  /** Files under src/ differ from the commit (the run measured uncommitted code). */
  dirty: boolean | null;
}

export async function machineInfo(pool: pg.Pool, redisUrl: string): Promise<MachineInfo> {
  let postgres = 'unknown';
  try {
    const { rows } = await pool.query<{ server_version: string }>('SHOW server_version');
    postgres = rows[0]?.server_version ?? postgres;
  } catch {
    /* left unknown */
  }
  let redis = 'unknown';
  const client = new Redis(redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
  client.on('error', () => {});
  try {
    await client.connect();
    redis = /redis_version:(\S+)/.exec(await client.info('server'))?.[1] ?? redis;
  } catch {
    /* left unknown */
  } finally {
    client.disconnect();
  }
  return {
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    postgres,
    redis,
    loadAverageAtStart: Math.round(os.loadavg()[0]! * 100) / 100,
    loadAverageAtEnd: null,
  };
}

export function revision(root: string): Revision {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    return { commit: git('rev-parse', 'HEAD'), dirty: git('status', '--porcelain', '--', 'src').length > 0 };
  } catch {
    return { commit: null, dirty: null };
  }
}
