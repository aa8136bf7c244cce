/**
 * With `--profile`: each mode's API runs under `node --cpu-prof`; after it
 * stops, the samples of each measurement (operation alone, or workload) are
 * summarized per request, and drawn as a flame graph next to the report.
 */
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { flameGraph } from './flamegraph.js';
import type { LoadResult } from './load.js';
import { CATEGORIES, readProfile, summarizeProfile, type Category } from './profile.js';
import type { ModeResult } from './run-mode.js';

export interface ProfileResult {
  /** Answers during the measurement. */
  requests: number;
  /** CPU time of the API's main thread per request, in ms. */
  cpuMsPerRequest: number;
  /** Share of the measurement the main thread was busy (1: saturated). */
  busyShare: number;
  /** CPU ms per request, by category. */
  byCategory: Record<Category, number>;
  /** The costliest functions (self time), in ms per request. */
  topFunctions: { name: string; where: string; category: Category; msPerRequest: number }[];
  /** The flame graph's file name, beside the report. */
  flameGraph: string;
}

const round = (v: number, digits = 3) => Math.round(v * 10 ** digits) / 10 ** digits;

/** Summarizes every measurement of `result` that has a window, from the profile in `cpuDir`; writes flame graphs to `outDir`. */
export function profileMeasurements(result: ModeResult, cpuDir: string, outDir: string): ModeResult['profiles'] {
  // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile: thread 0 is the main thread (tsx's loader hooks run on another).
  const files = readdirSync(cpuDir).filter((f) => /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(f));
  if (files.length !== 1) throw new Error(`expected one main-thread .cpuprofile in ${cpuDir}, found ${files.length}`);
  const file = path.join(cpuDir, files[0]!);
  const measured: [string, LoadResult | null | undefined][] = [
    ...Object.entries(result.operations),
    ...Object.entries(result.workloads).map(([name, w]): [string, LoadResult | null | undefined] => [name, w?.load]),
  ];
  const profile = readProfile(file);
  const profiles: ModeResult['profiles'] = {};
  mkdirSync(outDir, { recursive: true });
  // The whole profile too, for a closer look (Chrome DevTools, speedscope.app).
  copyFileSync(file, path.join(outDir, `profile-${result.mode}.cpuprofile`));
  for (const [label, load] of measured) {
    if (!load?.window || load.requests === 0) continue;
    const summary = summarizeProfile(profile, load.window.fromMicros, load.window.toMicros);
    const perRequest = (ms: number) => round(ms / load.requests);
    const flameFile = `profile-${result.mode}-${label}.svg`;
    const cpuMs = perRequest(summary.busyMs);
    writeFileSync(
      path.join(outDir, flameFile),
      flameGraph({
        title: `${label}, mode ${result.mode}: where the API's CPU went`,
        subtitle: `${load.requests.toLocaleString('en-US')} requests in ${(summary.windowMs / 1000).toFixed(1)} s; main thread busy ${Math.round((100 * summary.busyMs) / summary.windowMs)}%, ${cpuMs} ms CPU per request. Width: share of busy time; hover for figures.`,
        folded: summary.folded,
        categories: summary.frameCategories,
      }),
    );
    profiles[label as keyof ModeResult['profiles']] = {
      requests: load.requests,
      cpuMsPerRequest: cpuMs,
      busyShare: round(summary.busyMs / summary.windowMs, 2),
      byCategory: Object.fromEntries(CATEGORIES.map((c) => [c, perRequest(summary.byCategory[c])])) as Record<Category, number>,
      topFunctions: summary.topFunctions.slice(0, 15).map((f) => ({ name: f.name, where: f.where, category: f.category, msPerRequest: perRequest(f.selfMs) })),
      flameGraph: flameFile,
    };
  }
  return profiles;
}

/** The report's section: per measurement, CPU per request by category side by side for the modes, and the top functions. */
export function profileSection(modes: readonly ModeResult[]): string[] {
  const labels = [...new Set(modes.flatMap((m) => Object.keys(m.profiles)))];
  if (labels.length === 0) return [];
  const lines: string[] = [
    '## Profiles',
    '',
    "Each mode's API ran under `node --cpu-prof` (which slows it a little: these runs' timings are not the published ones). Below, the API's main-thread CPU per request during each measurement, by where it was spent (self time), and the flame graphs (width: share of busy time; hover a box for its figures). The whole profiles are written beside this report as `profile-<mode>.cpuprofile`, for Chrome DevTools or speedscope.",
    '',
  ];
  for (const label of labels) {
    const withProfile = modes.filter((m) => m.profiles[label as keyof ModeResult['profiles']]);
    const p = (m: ModeResult) => m.profiles[label as keyof ModeResult['profiles']]!;
    lines.push(`### ${label}`, '');
    lines.push(`| CPU ms per request | ${withProfile.map((m) => m.mode).join(' | ')} |`);
    lines.push(`| --- | ${withProfile.map(() => '---:').join(' | ')} |`);
    for (const category of CATEGORIES) {
      if (withProfile.every((m) => p(m).byCategory[category] < 0.0005)) continue;
      lines.push(`| ${category} | ${withProfile.map((m) => p(m).byCategory[category].toFixed(3)).join(' | ')} |`);
    }
    lines.push(`| **total** | ${withProfile.map((m) => `**${p(m).cpuMsPerRequest.toFixed(3)}**`).join(' | ')} |`);
    lines.push(`| main thread busy | ${withProfile.map((m) => `${Math.round(p(m).busyShare * 100)}%`).join(' | ')} |`);
    lines.push(`| flame graph | ${withProfile.map((m) => `[svg](${p(m).flameGraph})`).join(' | ')} |`, '');
    for (const m of withProfile) {
      lines.push(`<details><summary>${m.mode}: top functions by self time</summary>`, '');
      lines.push('| ms/req | function | where | category |', '| ---: | --- | --- | --- |');
      for (const f of p(m).topFunctions) lines.push(`| ${f.msPerRequest.toFixed(3)} | \`${f.name}\` | ${f.where || '(native)'} | ${f.category} |`);
      lines.push('', '</details>', '');
    }
  }
  return lines;
}
