/**
 * One measurement under load, taken the same way for every mode of the API
 * (run-mode.ts) and every reference point (references.ts): autocannon with
 * the run's connections for a given time (`load.ts`), after waiting for other
 * processes to calm down, and taken again (keeping the quietest) when they
 * used more CPU than allowed meanwhile.
 */
import { runLoad, type LoadResult } from './load.js';
import type { Snapshot } from './metrics.js';
import type { CpuMeter } from './noise.js';
import type { PreparedRequest } from './operations.js';
import { monotonicMicros } from './profile.js';
import type { VersionSink } from './versions.js';

export interface MeasureOptions {
  baseUrl: string;
  /** What is measured (a mode or a reference point), for the stale-read bookkeeping. */
  instance: string;
  versions: VersionSink;
  settings: {
    connections: number;
    /** A measurement during which other processes used more CPUs than this is taken again. */
    maxOtherCpus: number;
    /** How many times a measurement may be taken again. */
    retries: number;
    /** How long to wait for other processes to calm down before a measurement, in ms (0: no waiting). */
    quietWaitMs: number;
  };
  /** Measures other processes' CPU during each measurement (null: not measured). */
  meter: CpuMeter | null;
  signal?: AbortSignal;
  log: (line: string) => void;
}

export interface Measurer {
  /** What one read of the server's counters costs by itself (subtracted from each measurement's); set once known. */
  overhead: Snapshot | null;
  /** One measurement, as it comes (no waiting for quiet, no retry): warm-ups. */
  once(next: () => PreparedRequest, durationSeconds: number): Promise<LoadResult>;
  /** One measurement, taken again (keeping the quietest) when other processes took too much CPU meanwhile. */
  load(next: () => PreparedRequest, durationSeconds: number, label: string): Promise<LoadResult>;
}

export function createMeasurer(options: MeasureOptions): Measurer {
  const { meter, signal, log, settings } = options;
  const measurer: Measurer = {
    overhead: null,
    async once(next, durationSeconds) {
      const fromMicros = monotonicMicros();
      const r = await runLoad({
        baseUrl: options.baseUrl,
        instance: options.instance,
        connections: settings.connections,
        durationSeconds,
        next,
        versions: options.versions,
        overhead: measurer.overhead,
        ...(signal && { signal }),
      });
      r.window = { fromMicros, toMicros: monotonicMicros() };
      return r;
    },
    async load(next, durationSeconds, label) {
      let best: LoadResult | undefined;
      let attempts = 0;
      for (let attempt = 0; attempt <= settings.retries; attempt++) {
        if (meter && settings.quietWaitMs > 0) {
          const other = await meter.waitForQuiet(settings.maxOtherCpus / 2, settings.quietWaitMs, signal);
          if (other !== null && other >= settings.maxOtherCpus / 2) log(`    (other processes still use ${other} CPUs; measuring anyway)`);
        }
        const a = await meter?.sample();
        const r = await measurer.once(next, durationSeconds);
        const b = await meter?.sample();
        r.cpu = meter?.usage(a ?? null, b ?? null) ?? null;
        attempts++;
        if (!best || (r.cpu?.otherCpus ?? 0) < (best.cpu?.otherCpus ?? 0)) best = r;
        if (!r.cpu || r.cpu.otherCpus <= settings.maxOtherCpus || signal?.aborted) break;
        if (attempt < settings.retries) log(`    ${label}: other processes used ${r.cpu.otherCpus} CPUs meanwhile: measuring again`);
      }
      best!.attempts = attempts;
      return best!;
    },
  };
  return measurer;
}

/** A measurement in one log line: req/s, p50, p99, the server's CPU per request, then `extra`, errors and other processes' CPU. */
export function loadLine(label: string, r: LoadResult, extra = ''): string {
  const cpu = r.perRequest?.apiCpuMs != null ? `, CPU ${r.perRequest.apiCpuMs.toFixed(3)} ms/req` : '';
  return `    ${label.padEnd(13)} ${r.rps.toFixed(0).padStart(6)} req/s, p50 ${r.latencyMs.p50.toFixed(1)} ms, p99 ${r.latencyMs.p99.toFixed(1)} ms${cpu}${extra}${errorsText(r)}${cpuText(r)}`;
}

function cpuText(r: LoadResult): string {
  return r.cpu ? `, other CPU ${r.cpu.otherCpus}${r.attempts > 1 ? ` (best of ${r.attempts})` : ''}` : '';
}

function errorsText(r: LoadResult): string {
  const entries = Object.entries(r.errors);
  return entries.length ? `, errors: ${entries.map(([code, n]) => `${code} ${n}`).join(', ')}` : '';
}
