/**
 * Reading a V8 CPU profile (`node --cpu-prof`) of the API: the samples taken
 * during one measurement (a window on the monotonic clock), their self time
 * by category (our code, Prisma, pg, ioredis, GraphQL, Node...) and by
 * function, and their stacks folded for a flame graph (flamegraph.ts).
 *
 * The window: V8 stamps samples with the same monotonic clock as
 * `process.hrtime` (CLOCK_MONOTONIC on Linux), so the benchmark, another
 * process, marks a measurement's start and end with `monotonicMicros()`.
 */
import { readFileSync } from 'node:fs';

/** The parts of the `.cpuprofile` format (Chrome DevTools protocol `Profiler.Profile`) read here. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Microseconds on the clock V8 stamps profile samples with. */
export const monotonicMicros = (): number => Number(process.hrtime.bigint() / 1000n);

/** Where a function lives, coarsely: the layer of the stack it belongs to. */
export const CATEGORIES = [
  'cache core (prisma-write-through)',
  'app (src)',
  'Prisma Client',
  'Prisma query compiler (wasm)',
  'pg driver',
  'ioredis',
  'GraphQL execution (graphql-js)',
  'Apollo Server',
  'HTTP framework & parsing',
  'Node core (net, streams, timers)',
  'other dependencies',
  'garbage collector',
  'V8 & native',
] as const;
export type Category = (typeof CATEGORIES)[number];

export function categoryOf(functionName: string, url: string): Category {
  if (functionName === '(garbage collector)') return 'garbage collector';
  if (url.startsWith('wasm://') || /query_compiler|query-compiler/.test(url)) return 'Prisma query compiler (wasm)';
  if (url === '') return 'V8 & native';
  if (
    /\/node_modules\/(\.pnpm\/)?@prisma\/(client|adapter-pg|driver-adapter-utils|client-runtime-utils|client-engine-runtime)/.test(url) ||
    /\/src\/generated\/prisma\//.test(url)
  )
    return 'Prisma Client';
  if (/\/node_modules\/(pg|pg-protocol|pg-pool|pg-types|postgres-[a-z]+|pg-cloudflare|pg-connection-string)\//.test(url)) return 'pg driver';
  if (/\/node_modules\/(ioredis|redis-parser|@ioredis|denque|cluster-key-slot|standard-as-callback)\//.test(url)) return 'ioredis';
  if (/\/node_modules\/graphql\//.test(url)) return 'GraphQL execution (graphql-js)';
  if (/\/node_modules\/@apollo\//.test(url)) return 'Apollo Server';
  if (
    /\/node_modules\/(fastify|@fastify|find-my-way|avvio|light-my-request|fast-json-stringify|fast-querystring|fast-decode-uri-component|secure-json-parse|toad-cache|fastq|express|router|body-parser|raw-body|iconv-lite|qs|type-is|on-finished|finalhandler|send|content-type|@as-integrations)\//.test(
      url,
    ) ||
    url.startsWith('node:_http') ||
    url.startsWith('node:http')
  ) {
    return 'HTTP framework & parsing';
  }
  if (url.startsWith('node:') || url.startsWith('internal/')) return 'Node core (net, streams, timers)';
  if (/\/node_modules\//.test(url)) return 'other dependencies';
  if (/\/prisma-write-through\/(src|dist)\//.test(url)) return 'cache core (prisma-write-through)';
  if (/\/src\//.test(url)) return 'app (src)';
  return 'other dependencies';
}

export interface FunctionCost {
  name: string;
  /** File and line, relative to node_modules or the project. */
  where: string;
  category: Category;
  selfMs: number;
}

export interface ProfileSummary {
  /** Length of the window, in ms. */
  windowMs: number;
  /** Time the API's main thread was busy (samples other than idle), in ms. */
  busyMs: number;
  /** Time it waited for I/O (the `(idle)` samples), in ms. */
  idleMs: number;
  /** Self time by category, in ms, every category present. */
  byCategory: Record<Category, number>;
  /** The functions with the most self time, most first. */
  topFunctions: FunctionCost[];
  /** `frame;frame;frame` -> ms: the busy stacks, root first, for a flame graph. */
  folded: Map<string, number>;
  /** The category of each frame of `folded`. */
  frameCategories: Map<string, Category>;
}

function shortLocation(url: string, line: number): string {
  const at = url.lastIndexOf('/node_modules/');
  const path = at >= 0 ? url.slice(at + '/node_modules/'.length) : url.replace(/^file:\/\/.*?\/(src|scripts)\//, '$1/');
  return path ? `${path}:${line + 1}` : '';
}

/** A profile read once, indexed for summarizing any number of windows. */
export interface LoadedProfile {
  profile: CpuProfile;
  byId: Map<number, CpuProfile['nodes'][number]>;
  parent: Map<number, number>;
}

export function readProfile(file: string): LoadedProfile {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  return { profile, byId, parent };
}

/** Sums the samples of a profile taken between `fromMicros` and `toMicros` (monotonic). */
export function summarizeProfile({ profile, byId, parent }: LoadedProfile, fromMicros: number, toMicros: number, top = 25): ProfileSummary {
  const selfMicros = new Map<number, number>();
  let t = profile.startTime;
  // Each sample stands for the time until the next one.
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    const next = t + (profile.timeDeltas[i + 1] ?? 0);
    const from = Math.max(t, fromMicros);
    const to = Math.min(next, toMicros);
    if (to <= from) continue;
    const id = profile.samples[i]!;
    selfMicros.set(id, (selfMicros.get(id) ?? 0) + (to - from));
  }

  const byCategory = Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<Category, number>;
  const functions = new Map<string, FunctionCost>();
  const folded = new Map<string, number>();
  const frameCategories = new Map<string, Category>();
  let idleMs = 0;
  let busyMs = 0;
  for (const [id, micros] of selfMicros) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const ms = micros / 1000;
    if (functionName === '(idle)') {
      idleMs += ms;
      continue;
    }
    busyMs += ms;
    const category = categoryOf(functionName, url);
    byCategory[category] += ms;
    const name = functionName || '(anonymous)';
    const where = shortLocation(url, lineNumber);
    const key = `${name} ${where}`;
    const cost = functions.get(key) ?? { name, where, category, selfMs: 0 };
    cost.selfMs += ms;
    functions.set(key, cost);

    const frames: string[] = [];
    for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
      const frame = byId.get(n)!.callFrame;
      if (frame.functionName === '(root)') break;
      const label = `${frame.functionName || '(anonymous)'} ${shortLocation(frame.url, frame.lineNumber)}`.trim();
      frameCategories.set(label, categoryOf(frame.functionName, frame.url));
      frames.push(label);
    }
    const stack = frames.reverse().join(';');
    folded.set(stack, (folded.get(stack) ?? 0) + ms);
  }
  const topFunctions = [...functions.values()].sort((a, b) => b.selfMs - a.selfMs).slice(0, top);
  return { windowMs: (toMicros - fromMicros) / 1000, busyMs, idleMs, byCategory, topFunctions, folded, frameCategories };
}
