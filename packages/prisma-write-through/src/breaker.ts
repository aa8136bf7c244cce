/**
 * A circuit breaker around a cache store: after `failureThreshold` failures
 * in a row, calls fail at once for `cooldownMs`, so a dead or hung Redis costs
 * requests nothing (reads go straight to the database, writes under the `fail`
 * policy are refused straight away). After the cooldown, calls go through
 * again; the first success closes the circuit, a failure opens it again.
 *
 * Written here rather than taken from npm: opossum, the usual choice, needs
 * Node 22+, and this is the whole of what the cache needs.
 */
import { CacheUnavailableError } from './errors.js';
import type { CacheStore } from './types.js';

export interface CircuitBreakerOptions {
  /** Failures in a row that open the circuit. @default 3 */
  failureThreshold?: number;
  /** How long the circuit stays open, in ms. @default 1000 */
  cooldownMs?: number;
  /** Called when the circuit opens or closes. */
  onChange?: (state: 'open' | 'closed') => void;
}

export function withCircuitBreaker(store: CacheStore, options: CircuitBreakerOptions = {}): CacheStore & { isOpen(): boolean } {
  const failureThreshold = options.failureThreshold ?? 3;
  const cooldownMs = options.cooldownMs ?? 1000;
  let failures = 0;
  let openUntil = 0;

  async function guard<T>(call: () => Promise<T>): Promise<T> {
    if (Date.now() < openUntil) throw new CacheUnavailableError('The cache circuit is open: Redis failed repeatedly');
    try {
      const result = await call();
      if (failures >= failureThreshold) options.onChange?.('closed');
      failures = 0;
      return result;
    } catch (error) {
      if (++failures >= failureThreshold) {
        if (openUntil <= Date.now()) options.onChange?.('open');
        openUntil = Date.now() + cooldownMs;
      }
      throw error;
    }
  }

  return {
    read: (keys) => guard(() => store.read(keys)),
    write: (entries) => guard(() => store.write(entries)),
    lease: (keys, token, leaseMs, ttlSeconds) => guard(() => store.lease(keys, token, leaseMs, ttlSeconds)),
    release: (token, items) => guard(() => store.release(token, items)),
    remove: (keys) => store.remove(keys),
    ...(store.claimFills && { claimFills: (keys: readonly string[], leaseMs: number) => guard(() => store.claimFills!(keys, leaseMs)) }),
    ping: () => store.ping(),
    close: () => store.close(),
    isOpen: () => Date.now() < openUntil,
  };
}
