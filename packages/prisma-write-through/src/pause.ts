/**
 * Pause points, to make a race deterministic in a test: a hook of the
 * testing entry (`hooks.afterCommit` of the write-through,
 * `hooks.afterDatabaseRead` of a loader) waits at one until the test has
 * done what must happen in between, instead of sleeping.
 */

/** A point where a writer or a reader waits (`wait()`) until the test lets it go on (`open()`). */
export interface PausePoint {
  /** Resolves once someone waits here. */
  reached: Promise<void>;
  /** Lets every waiter (now or later) go on. */
  open(): void;
  /** Waits until `open()`; what a hook calls. */
  wait(): Promise<void>;
}

/** A new, closed pause point. */
export function pausePoint(): PausePoint {
  let open!: () => void;
  let arrived!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const reached = new Promise<void>((resolve) => (arrived = resolve));
  return {
    reached,
    open,
    wait: () => {
      arrived();
      return opened;
    },
  };
}

/** `fn` on its first call only (so a hook pauses one writer or reader, not every one). */
export function once<A extends unknown[]>(fn: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
  let done = false;
  return async (...args: A) => {
    if (done) return;
    done = true;
    await fn(...args);
  };
}
