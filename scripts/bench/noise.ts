/**
 * Other work on the machine during a measurement: the CPU time used by every
 * process that is not part of the benchmark, from /proc (Linux only).
 *
 * The benchmark's own processes are this process and its descendants (the
 * API), PostgreSQL's processes except the client backends of other databases,
 * and the Redis server the API uses. Everything else busy meanwhile (another
 * test suite, a build) is "other" CPU: it takes cores from the run and makes
 * its numbers wrong, so a measurement with too much of it is taken again.
 */
import { readFileSync, readdirSync } from 'node:fs';
import type pg from 'pg';
import { now, sleep } from '../consistency/time.js';

/** Clock ticks per second of /proc's CPU times (USER_HZ: 100 on every common Linux). */
const TICKS = 100;

interface ProcessInfo {
  ppid: number;
  comm: string;
  ticks: number;
}

export interface CpuSample {
  at: number;
  busy: number;
  own: Map<number, number>;
}

export interface CpuUsage {
  /** Average CPUs used by the benchmark's own processes over the interval. */
  ownCpus: number;
  /** Average CPUs used by everything else. */
  otherCpus: number;
  seconds: number;
}

function processes(): Map<number, ProcessInfo> {
  const out = new Map<number, ProcessInfo>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // comm is in parentheses and may hold spaces: split after the last ')'.
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const fields = stat.slice(close + 2).split(' ');
      out.set(Number(name), { ppid: Number(fields[1]), comm, ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

function busyTicks(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
  return user! + nice! + system! + irq! + softirq! + steal!;
}

export class CpuMeter {
  private readonly available: boolean;

  constructor(
    private readonly options: {
      /** PostgreSQL pool on the run's database (to tell its backends from other databases'). */
      pool: pg.Pool;
      database: string;
      /** Port of the Redis server the API uses. */
      redisPort: number;
    },
  ) {
    let ok = false;
    try {
      busyTicks();
      ok = true;
    } catch {
      ok = false;
    }
    this.available = ok;
  }

  get supported(): boolean {
    return this.available;
  }

  /** The pids of the benchmark's own processes, with their CPU ticks so far. */
  private async own(): Promise<Map<number, number>> {
    const all = processes();
    const own = new Map<number, number>();
    const children = new Map<number, number[]>();
    for (const [pid, info] of all) {
      const list = children.get(info.ppid) ?? [];
      list.push(pid);
      children.set(info.ppid, list);
    }
    const stack = [process.pid];
    while (stack.length) {
      const pid = stack.pop()!;
      const info = all.get(pid);
      if (info) own.set(pid, info.ticks);
      stack.push(...(children.get(pid) ?? []));
    }
    let foreignBackends = new Set<number>();
    try {
      const { rows } = await this.options.pool.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE backend_type = 'client backend' AND datname IS DISTINCT FROM $1`,
        [this.options.database],
      );
      foreignBackends = new Set(rows.map((r) => r.pid));
    } catch {
      /* every postgres process then counts as ours */
    }
    for (const [pid, info] of all) {
      if (info.comm === 'postgres' && !foreignBackends.has(pid)) own.set(pid, info.ticks);
      if (info.comm.startsWith('redis-server')) {
        try {
          const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
          if (cmdline.includes(`:${this.options.redisPort}`) || cmdline.includes(`--port\0${this.options.redisPort}`)) own.set(pid, info.ticks);
        } catch {
          /* exited */
        }
      }
    }
    return own;
  }

  async sample(): Promise<CpuSample | null> {
    if (!this.available) return null;
    return { at: now(), busy: busyTicks(), own: await this.own() };
  }

  /** CPU used between two samples, by the benchmark and by everything else. */
  usage(start: CpuSample | null, end: CpuSample | null): CpuUsage | null {
    if (!start || !end) return null;
    const seconds = (end.at - start.at) / 1000;
    if (seconds <= 0) return null;
    let own = 0;
    for (const [pid, ticks] of end.own) own += ticks - (start.own.get(pid) ?? 0);
    const busy = end.busy - start.busy;
    const round = (v: number) => Math.round(v * 100) / 100;
    return { ownCpus: round(own / TICKS / seconds), otherCpus: round(Math.max(0, busy - own) / TICKS / seconds), seconds };
  }

  /**
   * Waits until other processes use less than `maxOtherCpus` over a one-second
   * window, for at most `timeoutMs`; returns the last reading.
   */
  async waitForQuiet(maxOtherCpus: number, timeoutMs: number, signal?: AbortSignal): Promise<number | null> {
    if (!this.available) return null;
    const deadline = now() + timeoutMs;
    let other: number | null = null;
    do {
      const a = await this.sample();
      await sleep(1000, signal);
      const b = await this.sample();
      other = this.usage(a, b)?.otherCpus ?? null;
      if (other === null || other < maxOtherCpus) return other;
    } while (now() < deadline && !signal?.aborted);
    return other;
  }
}
