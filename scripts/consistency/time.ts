/** The checker's one clock (monotonic, in ms) and abortable sleeps. */
import { performance } from 'node:perf_hooks';

/** Milliseconds on a monotonic clock shared by every part of a run (one process). */
export const now = (): number => performance.now();

/** Resolves after `ms`, or early (without throwing) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Polls `probe` every `intervalMs` until it returns true; false on timeout or abort. */
export async function waitUntil(probe: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 100, signal?: AbortSignal): Promise<boolean> {
  const deadline = now() + timeoutMs;
  for (;;) {
    if (await probe()) return true;
    if (now() >= deadline || signal?.aborted) return false;
    await sleep(intervalMs, signal);
  }
}

export class AbortedError extends Error {
  override name = 'AbortedError';
  constructor() {
    super('the consistency check was interrupted');
  }
}

export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new AbortedError();
}
