/**
 * Fault injection, at seeded random intervals (1 to 3 s by default), one
 * fault at a time, the kinds in seeded shuffled rounds, each recorded with when it started and when the system
 * was whole again:
 *
 * - `redis-client-kill`: `CLIENT KILL TYPE normal` from a separate admin
 *   connection: every API's Redis connection drops (they reconnect).
 * - `redis-pause`: `CLIENT PAUSE 1500 ALL`: Redis answers nothing for 1.5 s.
 * - `redis-restart`: `SHUTDOWN NOSAVE` or SIGKILL, then a new `redis-server`
 *   on the same port (empty: no persistence) after a short downtime.
 * - `redis-restart-persisted`: `SAVE`, 200 to 800 ms more load (writes
 *   acknowledged after the snapshot), SIGKILL, then a `redis-server` that
 *   loads the snapshot: Redis comes back older than what clients were told,
 *   as after a crash with RDB/AOF persistence or a restore from a backup.
 * - `api-kill`: SIGKILL of one API process while it has mutations in flight,
 *   then the same API started again on the same port.
 * - `stale-restore` (single): Redis stopped and started from a backup taken
 *   earlier (a `SAVE` copied aside when the run started and after every other
 *   fault, so seconds to tens of seconds old, possibly from before earlier
 *   restarts): an operator restoring yesterday's snapshot.
 * - `failover` (Sentinel): either `SENTINEL FAILOVER` (coordinated), or
 *   the replica cut off (`CLIENT KILL TYPE replica`), 100 to 500 ms of
 *   acknowledged writes it never gets, the primary SIGKILLed and, once the
 *   replica is promoted, restarted empty as its replica: a failover that loses
 *   acknowledged writes. Over when the Sentinels name the new primary and the
 *   other server replicates it again.
 * - `failover` (Cluster): one master at random, and one of: `CLUSTER FAILOVER`
 *   on its replica (coordinated); or its replica cut off, 100 to 500 ms of
 *   writes, then the master SIGKILLed, its replica promoted by the cluster
 *   (node timeout 1.5 s) and the old master restarted empty (it rejoins as a
 *   replica); or the same with the master frozen (SIGSTOP for 4 s, then
 *   SIGCONT: a partition, every client connection stays open) instead of
 *   killed, so it comes back demoted and clients move by MOVED alone. Over
 *   when the cluster is whole again (3 masters, each with a replica in sync).
 * - `reshard` (Cluster): 50 to 400 hash slots moved from one master to another
 *   with `redis-cli --cluster reshard` under load (MIGRATE, ASK and MOVED).
 * - `redis-restart-persisted` on a Cluster: the same, on one master at random.
 */
import { Redis } from 'ioredis';
import { copyFileSync } from 'node:fs';
import type { ApiInstance, ClusterSet, ClusterNodeView, RedisServer, SentinelSet } from './processes.js';
import type { Random } from './random.js';
import { now, sleep } from './time.js';

export const FAULT_KINDS = [
  'redis-client-kill',
  'redis-pause',
  'redis-restart',
  'redis-restart-persisted',
  'stale-restore',
  'api-kill',
  'failover',
  'reshard',
] as const;
/** The kinds a topology supports, its default set. */
export const TOPOLOGY_FAULTS = {
  single: ['redis-client-kill', 'redis-pause', 'redis-restart', 'redis-restart-persisted', 'stale-restore', 'api-kill'],
  sentinel: ['failover', 'api-kill'],
  cluster: ['failover', 'reshard', 'redis-restart-persisted', 'api-kill'],
} as const satisfies Record<string, readonly (typeof FAULT_KINDS)[number][]>;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultRecord {
  /** 1, 2, ... in the order injected. */
  index: number;
  kind: FaultKind;
  startedAt: number;
  /** When the fault was over: Redis answering again, the API ready again. */
  endedAt: number;
  detail: string;
}

export interface FaultOptions {
  kinds: readonly FaultKind[];
  random: Random;
  redis: RedisServer;
  /** The Sentinel set, for `failover`. */
  sentinels?: SentinelSet;
  /** The Cluster, for `failover`, `reshard` and `redis-restart-persisted` on a Cluster. */
  cluster?: ClusterSet;
  apis: readonly ApiInstance[];
  /** True once the load has stopped: no new fault starts then. */
  stopped: () => boolean;
  /**
   * When the load is due to stop. The last fault is placed 100 to 400 ms
   * before it, and `onFinalFault` is called as soon as that fault has struck
   * (the API killed, the connections killed, Redis paused or gone): the
   * caller stops the load there, so the writes that fault disturbed are the
   * last ones, nothing repairs them by chance, and the convergence measured
   * afterwards is the convergence after that fault.
   */
  loadDeadline?: number;
  onFinalFault?: () => void;
  signal?: AbortSignal;
  /** Pause between faults, in ms. @default [1000, 3000] */
  intervalMs?: [number, number];
  /** Length of `CLIENT PAUSE`, in ms. @default 1500 */
  pauseMs?: number;
  /** How long Redis stays down in a restart, in ms. @default [200, 1500] */
  redisDowntimeMs?: [number, number];
  onFault?: (fault: FaultRecord) => void;
}

export function parseFaultKinds(list: string): FaultKind[] {
  const kinds = list
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  for (const kind of kinds) {
    if (!(FAULT_KINDS as readonly string[]).includes(kind)) throw new Error(`unknown fault kind ${JSON.stringify(kind)}; known: ${FAULT_KINDS.join(', ')}`);
  }
  return kinds as FaultKind[];
}

/** A throwaway admin connection: never queues, never retries (the server may be going away). */
async function withAdminConnection<T>(redis: RedisServer, action: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis(redis.url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 2000,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return await action(client);
  } finally {
    client.disconnect();
  }
}

/** Injects faults until `stopped()`; resolves once the last one is over (Redis up, every API ready). */
export async function injectFaults(options: FaultOptions): Promise<FaultRecord[]> {
  const { kinds, random, redis, apis, stopped, signal } = options;
  const [minGap, maxGap] = options.intervalMs ?? [1000, 3000];
  const pauseMs = options.pauseMs ?? 1500;
  const [minDown, maxDown] = options.redisDowntimeMs ?? [200, 1500];
  const faults: FaultRecord[] = [];
  if (kinds.length === 0) return faults;

  const backup = { file: redis.snapshotFile.replace(/dump-(\d+)\.rdb$/, 'backup-$1.rdb'), takenAt: 0 };
  const takeBackup = async () => {
    await withAdminConnection(redis, (c) => c.save());
    copyFileSync(redis.snapshotFile, backup.file);
    backup.takenAt = now();
  };
  if (kinds.includes('stale-restore')) await takeBackup();

  // Kinds come in shuffled rounds (each kind once per round): a short run still sees every kind.
  let bag: FaultKind[] = [];
  let finalFault = false;
  while (!stopped() && !signal?.aborted) {
    let wakeAt = now() + random.int(minGap, maxGap);
    const lastCall = options.loadDeadline === undefined ? Number.POSITIVE_INFINITY : options.loadDeadline - random.int(100, 400);
    if (wakeAt > lastCall) {
      if (finalFault) break;
      finalFault = true;
      wakeAt = Math.max(now(), lastCall);
    }
    // Sleep in small steps so the end of the load is noticed quickly.
    while (now() < wakeAt && !stopped() && !signal?.aborted) await sleep(Math.min(50, wakeAt - now()), signal);
    if (stopped() || signal?.aborted) break;

    if (bag.length === 0) {
      bag = [...kinds];
      for (let i = bag.length - 1; i > 0; i--) {
        const j = random.int(0, i);
        [bag[i], bag[j]] = [bag[j]!, bag[i]!];
      }
    }
    const kind = bag.pop()!;
    const startedAt = now();
    const struck = () => {
      if (finalFault) options.onFinalFault?.();
    };
    let detail: string;
    switch (kind) {
      case 'redis-client-kill': {
        const killed = await withAdminConnection(redis, (c) => c.client('KILL', 'TYPE', 'normal') as Promise<unknown>).catch(
          (e: Error) => `error: ${e.message}`,
        );
        struck();
        detail = `${killed} connections killed`;
        break;
      }
      case 'redis-pause': {
        detail = await withAdminConnection(redis, (c) => c.call('CLIENT', 'PAUSE', String(pauseMs), 'ALL')).then(
          () => `${pauseMs} ms`,
          (e: Error) => `error: ${e.message}`,
        );
        struck();
        await sleep(startedAt + pauseMs - now());
        break;
      }
      case 'redis-restart': {
        const how = random.chance(0.5) ? 'SHUTDOWN NOSAVE' : 'SIGKILL';
        if (how === 'SIGKILL') {
          await redis.kill('SIGKILL');
        } else {
          // The server closes the connection as it exits: the command's own answer never comes.
          await withAdminConnection(redis, (c) => c.call('SHUTDOWN', 'NOSAVE')).catch(() => {});
          await redis.waitForExit();
        }
        struck();
        const downtime = random.int(minDown, maxDown);
        await sleep(downtime);
        await redis.start();
        detail = `${how}, down ${Math.round(now() - startedAt)} ms`;
        break;
      }
      case 'failover': {
        if (options.cluster) {
          detail = await clusterFailover(options.cluster, random, struck);
          break;
        }
        const set = options.sentinels;
        if (!set) throw new Error('fault failover needs the sentinel or cluster topology');
        const before = await set.primary();
        const lossy = random.chance(0.5);
        if (lossy) {
          const old = before;
          await withAdminConnection(old, (c) => c.client('KILL', 'TYPE', 'replica') as Promise<unknown>).catch(() => {});
          const behind = random.int(100, 500);
          await sleep(behind);
          await old.kill('SIGKILL');
          struck();
          await set.waitFor(
            async (s) => Number(((await s.call('SENTINEL', 'get-master-addr-by-name', set.name)) as string[])[1]) !== old.port,
            'the promotion',
            60_000,
          );
          const promoted = await set.primary();
          await old.start(10_000, { replicaOf: promoted.port });
          detail = `primary killed ${behind} ms after its replica was cut off`;
        } else {
          // A forced failover the Sentinels abandon (no replica fit yet: one demoted a moment ago and
          // still syncing) is not retried by them: ask again, up to 4 times, 20 s each.
          let asked = 0;
          for (;;) {
            asked++;
            await set.command('SENTINEL', 'FAILOVER', set.name).catch(() => {});
            if (asked === 1) struck();
            const switched = await set
              .waitFor(
                async (s) => Number(((await s.call('SENTINEL', 'get-master-addr-by-name', set.name)) as string[])[1]) !== before.port,
                'the failover',
                20_000,
              )
              .then(
                () => true,
                () => false,
              );
            if (switched) break;
            if (asked === 4) throw new Error('the Sentinels did not fail over after 4 SENTINEL FAILOVER, 20 s apart');
          }
          detail = `SENTINEL FAILOVER${asked > 1 ? ` (asked ${asked} times)` : ''}`;
        }
        // Over once one server replicates the other again (the next failover needs a replica).
        const deadline = now() + 60_000;
        const replicating = async () => {
          for (const server of set.servers) {
            const info = await withAdminConnection(server, (c) => c.info('replication')).catch(() => '');
            if (info.includes('role:slave') && info.includes('master_link_status:up')) return true;
          }
          return false;
        };
        while (!(await replicating())) {
          if (now() > deadline) throw new Error('no replica caught up within 60 s of the failover');
          await sleep(100);
        }
        detail += `, down ${Math.round(now() - startedAt)} ms`;
        break;
      }
      case 'redis-restart-persisted': {
        let target = redis;
        if (options.cluster) {
          const masters = (await options.cluster.view()).filter((n) => n.role === 'master' && n.slots > 0);
          target = options.cluster.server(random.pick(masters).port);
        }
        await withAdminConnection(target, (c) => c.save());
        const behind = random.int(200, 800);
        await sleep(behind);
        await target.kill('SIGKILL');
        struck();
        await sleep(random.int(minDown, maxDown));
        await target.start(10_000, { fromSnapshot: true });
        await options.cluster?.waitWhole();
        detail = `${options.cluster ? `master ${target.port}: ` : ''}snapshot ${behind} ms older than the crash, down ${Math.round(now() - startedAt)} ms`;
        break;
      }
      case 'stale-restore': {
        await redis.kill('SIGKILL');
        struck();
        await redis.start(10_000, { fromSnapshot: backup.file });
        detail = `backup of ${Math.round(now() - backup.takenAt)} ms ago restored`;
        break;
      }
      case 'reshard': {
        const cluster = options.cluster;
        if (!cluster) throw new Error('fault reshard needs the cluster topology');
        const masters = (await cluster.view()).filter((n) => n.role === 'master' && n.slots > 0);
        const from = random.pick(masters);
        const to = random.pick(masters.filter((m) => m !== from));
        const slots = Math.min(from.slots, random.int(50, 400));
        const moving = cluster.command(
          from.port,
          '--cluster',
          'reshard',
          `127.0.0.1:${from.port}`,
          '--cluster-from',
          from.id,
          '--cluster-to',
          to.id,
          '--cluster-slots',
          String(slots),
          '--cluster-yes',
          '--cluster-pipeline',
          '10',
        );
        struck();
        await moving;
        await cluster.waitWhole();
        detail = `${slots} slots from ${from.port} to ${to.port} in ${Math.round(now() - startedAt)} ms`;
        break;
      }
      case 'api-kill': {
        const candidates = apis.filter((a) => a.up);
        const api = random.pick(candidates.length ? candidates : apis);
        // Aim at a moment with writes in flight (up to 1 s of waiting for one).
        const aimUntil = now() + 1000;
        while (api.inFlightMutations === 0 && now() < aimUntil) await sleep(2);
        const inFlight = api.inFlightMutations;
        await api.kill();
        struck();
        const killedAt = now();
        await api.start();
        detail = `${api.name} with ${inFlight} mutations in flight, back in ${Math.round(now() - killedAt)} ms`;
        break;
      }
    }
    const fault: FaultRecord = {
      index: faults.length + 1,
      kind,
      startedAt,
      endedAt: now(),
      detail: finalFault ? `${detail}; final: the load stopped here` : detail,
    };
    // Backups for stale-restore: kept across some faults, so a restore may go back past several.
    if (kinds.includes('stale-restore') && kind !== 'stale-restore' && random.chance(0.5)) await takeBackup();
    faults.push(fault);
    options.onFault?.(fault);
  }
  return faults;
}

/** The Cluster `failover` fault (see the top of this file); resolves with its detail once the cluster is whole. */
async function clusterFailover(cluster: ClusterSet, random: Random, struck: () => void): Promise<string> {
  const startedAt = now();
  // From a whole cluster only: a replica still syncing (after a restart) cannot take over cleanly.
  await cluster.waitWhole();
  const view = await cluster.view();
  const masters = view.filter((n) => n.role === 'master' && n.slots > 0 && !n.failing);
  const master = random.pick(masters);
  const replica = view.find((n): n is ClusterNodeView => n.role === 'replica' && n.masterId === master.id && !n.failing);
  if (!replica) throw new Error(`master ${master.port} has no replica to fail over to`);
  const promoted = async () => {
    const current = await cluster.view().catch(() => []);
    return current.some((n) => n.id === replica.id && n.role === 'master' && n.slots > 0);
  };
  const waitPromoted = async () => {
    const deadline = now() + 30_000;
    while (!(await promoted())) {
      if (now() > deadline) throw new Error(`replica ${replica.port} was not promoted within 30 s`);
      await sleep(50);
    }
  };
  let detail: string;
  const how = random.int(0, 2);
  if (how > 0) {
    const old = cluster.server(master.port);
    await withAdminConnection(old, (c) => c.client('KILL', 'TYPE', 'replica') as Promise<unknown>).catch(() => {});
    const behind = random.int(100, 500);
    await sleep(behind);
    if (how === 1) {
      await old.kill('SIGKILL');
      struck();
      await waitPromoted();
      await old.start();
      detail = `master ${master.port} killed ${behind} ms after its replica ${replica.port} was cut off`;
    } else {
      const frozen = old.freeze(4000);
      struck();
      await waitPromoted();
      await frozen;
      detail = `master ${master.port} frozen 4 s (partitioned) ${behind} ms after its replica ${replica.port} was cut off`;
    }
  } else {
    await cluster.command(replica.port, 'cluster', 'failover');
    struck();
    await waitPromoted();
    detail = `CLUSTER FAILOVER on ${replica.port} (master ${master.port})`;
  }
  await cluster.waitWhole();
  return `${detail}, whole again in ${Math.round(now() - startedAt)} ms`;
}
