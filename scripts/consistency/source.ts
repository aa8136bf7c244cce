/**
 * The code under test, frozen for the run. API processes run from source
 * (`node --import tsx src/main.ts`), and an instance killed by a fault starts
 * again from whatever the working tree holds at that moment: with `src/`
 * being edited meanwhile, the two instances would run different code, or a
 * half-saved file. So the run copies `src/` (with the package's source, schema.graphql,
 * prisma/, package.json and tsconfig.json: SNAPSHOT_PATHS) once, at its start, to a temporary directory whose
 * `node_modules` is a symlink to the project's, and runs every API process
 * from there.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';

/** sha256 (first 12 hex digits) of every file under `dir`, by relative path: names the code a run tested. */
export function sourceHash(dir: string): string {
  const hash = createHash('sha256');
  const files = (readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name))
    .sort();
  for (const file of files) hash.update(path.relative(dir, file)).update('\0').update(readFileSync(file)).update('\0');
  return hash.digest('hex').slice(0, 12);
}

/**
 * What runs besides `src/`: the cache core's source (tsx follows tsconfig.json's
 * `paths` to it, in the snapshot as in the project; without it, the processes
 * would fall back to node_modules' link to the live package) and the
 * benchmark's entry point with its variants.
 */
export const SNAPSHOT_PATHS = [
  'package.json',
  'tsconfig.json',
  'schema.graphql',
  'prisma',
  'packages/prisma-write-through/package.json',
  'packages/prisma-write-through/src',
  'scripts/bench/server.ts',
  'scripts/bench/variants.ts',
];

/**
 * Copies the sources of `root` into `<dir>/app` and returns that directory
 * (the API processes' cwd); `node_modules` links to `modulesRoot`'s.
 */
export function snapshotSource(root: string, dir: string, modulesRoot = root): string {
  const app = path.join(dir, 'app');
  mkdirSync(app, { recursive: true });
  cpSync(path.join(root, 'src'), path.join(app, 'src'), { recursive: true });
  for (const file of SNAPSHOT_PATHS) {
    if (!existsSync(path.join(root, file))) continue;
    mkdirSync(path.dirname(path.join(app, file)), { recursive: true });
    cpSync(path.join(root, file), path.join(app, file), { recursive: true });
  }
  symlinkSync(path.join(modulesRoot, 'node_modules'), path.join(app, 'node_modules'), 'dir');
  return app;
}
