/**
 * One process at a time per embedded database folder.
 *
 * PGlite is PostgreSQL in one process, with no server to arbitrate: two
 * processes opening the same folder each believe they own its files, and
 * their writes corrupt it (the second one's rows are lost, and the folder
 * later fails to open with `RuntimeError: Aborted()`). So every opener takes
 * a lock first: a file beside the folder (`<folder>.lock`, e.g.
 * `.data/pglite.lock`) holding the pid, command and host of its holder.
 *
 * - A second opener finds the file, sees that its process is alive
 *   (`kill(pid, 0)`) and is refused with `DataDirLockedError`, naming it.
 * - A lock whose process is dead (killed, crashed: no chance to remove it)
 *   is taken over: liveness is checked, not age, so a holder that is merely
 *   slow or suspended is never robbed, and a dead one is replaced at once.
 * - A lock written on another host (a shared folder) cannot be checked and
 *   is always respected; the message says which file to delete.
 *
 * The lock appears atomically with its whole content (written to a
 * temporary file, then hard-linked into place; `link` fails if the lock
 * exists), and a takeover moves the dead holder's file aside under a unique
 * name first, so of two processes taking over the same dead lock only one
 * can succeed. The lock is removed on release and, as a last resort, when
 * the process exits; a process killed outright leaves it, for the next
 * opener to take over.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';

/** Who holds (or held) a lock: what the lock file says. */
export interface LockHolder {
  /** Process id, on `host`. */
  pid: number;
  /** The command it runs, for people (e.g. `npm run db:seed: node scripts/seed.ts`). */
  command: string;
  /** Host name of the machine it runs on. */
  host: string;
  /** When it took the lock, ISO 8601. */
  since: string;
}

/** The folder is locked by another live process (or one on another host); `message` says which and what to do. */
export class DataDirLockedError extends Error {
  override name = 'DataDirLockedError';
  constructor(
    /** The locked folder, as given. */
    readonly dataDir: string,
    /** The lock file. */
    readonly lockPath: string,
    /** Its holder. */
    readonly holder: LockHolder,
  ) {
    super(
      `The embedded database in ${dataDir} is in use by ${describeHolder(holder)}. ` +
        'Only one process may open it at a time: stop that process first (the API, or npm run db:seed / db:migrate), ' +
        'use another folder (DATA_DIR), or a PostgreSQL server (DATABASE_URL) for several processes. ' +
        `If that process is not using this folder, delete ${lockPath}.`,
    );
  }
}

/**
 * A holder for messages: `process 4242 (npm run start: node dist/src/main.js,
 * since 2026-11-24T10:00:00.000Z)`, with ` on host <name>` when not this one.
 */
export function describeHolder(holder: LockHolder): string {
  if (holder.pid <= 0) return `an unknown process (${holder.command})`;
  const where = holder.host === hostname() ? '' : ` on host ${holder.host}`;
  return `process ${holder.pid}${where} (${holder.command}, since ${holder.since})`;
}

/** A lock held by this process. */
export interface DataDirLock {
  /** The lock file (`<real path of the folder>.lock`). */
  path: string;
  /** The dead process whose lock was taken over, or null. */
  tookOverFrom: LockHolder | null;
  /** Removes the lock file if it is still ours; idempotent, never throws. */
  release(): void;
}

/** Lock files held by this process, by path, each with the exact content that makes it ours. */
const held = new Map<string, string>();
let exitHookInstalled = false;

/**
 * Locks an existing embedded database folder for this process. Synchronous:
 * a refused opener stops before it has touched a single file.
 *
 * Throws `DataDirLockedError` if a live process (or one on another host)
 * holds the lock, and a plain `Error` if this process already holds it or the
 * file system refuses (e.g. a read-only folder).
 */
export function lockDataDir(dataDir: string): DataDirLock {
  const lockPath = `${realpathSync(dataDir)}.lock`;
  if (held.has(lockPath)) throw new Error(`${dataDir} is already open in this process (${lockPath})`);
  const me: LockHolder = { pid: process.pid, command: describeCommand(), host: hostname(), since: new Date().toISOString() };
  const content = `${JSON.stringify(me)}\n`;
  let tookOverFrom: LockHolder | null = null;

  for (let attempt = 0; attempt < 10; attempt++) {
    if (create(lockPath, content)) {
      held.set(lockPath, content);
      installExitHook();
      return { path: lockPath, tookOverFrom, release: () => release(lockPath) };
    }
    const found = readText(lockPath);
    if (found === null) continue; // released meanwhile: try again
    const holder = parseHolder(found);
    if (holder && !isStale(holder)) throw new DataDirLockedError(dataDir, lockPath, holder);
    // A dead holder's lock (or an unreadable one: a live lock is always complete). Move it aside
    // under a name of our own; only one opener can move a given file.
    const aside = `${lockPath}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      renameSync(lockPath, aside);
    } catch (error) {
      if (code(error) === 'ENOENT') continue; // someone else moved it first
      throw error;
    }
    if (readText(aside) !== found) {
      // Between our read and our move, another opener took the dead lock over: give it back.
      try {
        linkSync(aside, lockPath);
      } catch {
        // A third opener created a lock meanwhile; it is the holder now.
      }
    } else {
      tookOverFrom = holder ?? { pid: 0, command: 'its lock file was unreadable', host: hostname(), since: 'unknown' };
    }
    rmSync(aside, { force: true });
  }
  throw new Error(`Could not lock ${dataDir}: ${lockPath} keeps changing (several processes opening it at once?)`);
}

/** Creates the lock with its whole content, atomically; false if it exists. */
function create(lockPath: string, content: string): boolean {
  const temp = `${lockPath}.new-${process.pid}-${randomBytes(4).toString('hex')}`;
  writeFileSync(temp, content, { flag: 'wx' });
  try {
    linkSync(temp, lockPath);
    return true;
  } catch (error) {
    if (code(error) === 'EEXIST') return false;
    throw error;
  } finally {
    rmSync(temp, { force: true });
  }
}

function release(lockPath: string): void {
  const content = held.get(lockPath);
  if (content === undefined) return;
  held.delete(lockPath);
  try {
    // Only our own lock: never one that a later opener took over.
    if (readText(lockPath) === content) rmSync(lockPath, { force: true });
  } catch {
    // Best effort: a leftover lock of a dead process is taken over by the next opener.
  }
}

/** A process that exits without closing (an uncaught error, `process.exit`) no longer writes: its locks go. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const lockPath of [...held.keys()]) release(lockPath);
  });
}

/**
 * True if the holder is gone: no such process on this host, or this very
 * process (its pid reused after a restart, as pid 1 in a container: this
 * process does not hold it, see `held`).
 */
function isStale(holder: LockHolder): boolean {
  if (holder.host !== hostname()) return false; // cannot tell: respect it
  if (holder.pid === process.pid) return true;
  try {
    process.kill(holder.pid, 0); // signal 0: only checks that the process exists
    return false;
  } catch (error) {
    return code(error) === 'ESRCH'; // EPERM: it exists, under another user
  }
}

function parseHolder(text: string): LockHolder | null {
  try {
    const value = JSON.parse(text) as Partial<LockHolder>;
    // A pid of 0 or below would address a process group in kill(): not a holder.
    if (!Number.isInteger(value.pid) || value.pid! <= 0 || typeof value.host !== 'string') return null;
    return { pid: value.pid!, command: String(value.command ?? 'unknown'), host: value.host, since: String(value.since ?? 'unknown') };
  } catch {
    return null;
  }
}

function readText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if (code(error) === 'ENOENT') return null;
    throw error;
  }
}

/** `npm run db:seed: node scripts/seed.ts`: the npm script if any, then the program and its arguments. */
function describeCommand(): string {
  const event = process.env.npm_lifecycle_event;
  const script = event === 'npx' || event === 'exec' ? undefined : event; // npx sets it too
  const args = process.argv.slice(1).map((arg) => (path.isAbsolute(arg) ? path.relative(process.cwd(), arg) || '.' : arg));
  const command = [path.basename(process.argv0 || process.execPath), ...args].join(' ');
  return (script ? `npm run ${script}: ${command}` : command).slice(0, 300);
}

function code(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code;
}
