/**
 * The change listener: one dedicated PostgreSQL connection that LISTENs on
 * the capture trigger's channel (capture.ts) and wakes the reconciler on each
 * notification, so a write that bypassed the extension reaches the cache
 * milliseconds after its COMMIT instead of at the reconciler's next poll.
 *
 * Not through the Prisma pool, and not through PgBouncer in transaction mode:
 * a LISTEN belongs to a server session, which such a pooler hands to other
 * clients after each transaction, so notifications never come back (give it
 * a direct URL, e.g. DIRECT_DATABASE_URL; `probe` tells whether they arrive).
 * The connection comes back by itself (with a growing wait) when it drops;
 * until then, and if it never works, the reconciler's poll still publishes
 * every captured change, only later.
 */
import { randomUUID } from 'node:crypto';
import { CAPTURE_CHANNEL } from './capture.js';

/** What the listener needs of a database connection; a `pg.Client` (node-postgres) has it. */
export interface NotificationConnection {
  connect(): Promise<unknown>;
  query(sql: string): Promise<unknown>;
  /** Events used: `notification` ({ channel, payload }), `error` (Error), `end`. */
  on(event: string, listener: (...args: any[]) => void): unknown;
  end(): Promise<unknown>;
}

/** Options of `createChangeListener`. */
export interface ChangeListenerOptions {
  /**
   * Makes a new, not yet connected connection to PostgreSQL itself (or a
   * pooler in session mode), called again for every reconnection, e.g.
   * `() => new pg.Client({ connectionString: process.env.DIRECT_DATABASE_URL, keepAlive: true })`.
   */
  connect: () => NotificationConnection;
  /**
   * Called for each notification on the channel (the probe's excepted), and
   * once after each successful LISTEN, since changes committed while not
   * listening were not notified. Typically `() => reconciler.wake()`. Must not throw.
   */
  onChange: () => void;
  /** The channel. @default "prisma_write_through" (CAPTURE_CHANNEL, what the trigger NOTIFYs) */
  channel?: string;
  /** Wait before the first reconnection, in ms; doubled after each failure. @default 100 */
  reconnectMs?: number;
  /** Longest wait between reconnections, in ms. @default 5000 */
  maxReconnectMs?: number;
  /** Told every connection or LISTEN failure, and every error of the connection. */
  onError?: (error: unknown) => void;
  /** Told when listening starts (`true`) and when the connection is lost (`false`). */
  onState?: (listening: boolean) => void;
}

/** A running change listener (see `createChangeListener`). */
export interface ChangeListener {
  /**
   * Connects and LISTENs. Resolves to `true` once listening, or to `false`
   * when the first attempt failed (it keeps trying in the background; see
   * `onState`). Never rejects. Calling it again returns the first attempt's promise.
   */
  start(): Promise<boolean>;
  /** Whether the connection is up and LISTENing now. */
  listening(): boolean;
  /**
   * Whether notifications really arrive: `send(channel, payload)` must send
   * `NOTIFY` (`SELECT pg_notify($1, $2)`) from ANOTHER connection, e.g. the
   * application's pool; resolves to `true` when that notification arrives
   * within `timeoutMs` (ms, default 2000), `false` otherwise (not listening,
   * or LISTEN went through a pooler in transaction mode). Rejects only with
   * the error of `send`.
   */
  probe(send: (channel: string, payload: string) => Promise<unknown>, timeoutMs?: number): Promise<boolean>;
  /** Stops listening and reconnecting, and closes the connection. */
  close(): Promise<void>;
}

const PROBE_PREFIX = 'probe:';

/**
 * A listener for the capture trigger's notifications on a dedicated
 * connection (see the top of this file). Nothing happens until `start()`.
 * Throws a `TypeError` on an invalid channel name.
 */
export function createChangeListener(options: ChangeListenerOptions): ChangeListener {
  const channel = options.channel ?? CAPTURE_CHANNEL;
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(channel)) throw new TypeError(`channel must be a plain SQL identifier, got ${JSON.stringify(channel)}`);
  const firstWait = options.reconnectMs ?? 100;
  const maxWait = options.maxReconnectMs ?? 5000;
  const onError = options.onError ?? (() => {});
  let connection: NotificationConnection | null = null;
  let up = false;
  let closed = false;
  let wait = firstWait;
  let timer: NodeJS.Timeout | undefined;
  let started: Promise<boolean> | undefined;
  const probes = new Map<string, () => void>();

  function setUp(value: boolean) {
    if (up === value) return;
    up = value;
    options.onState?.(value);
  }

  /** The connection is gone (error, end, failed LISTEN): drop it and try again later. */
  function lost(from: NotificationConnection, error?: unknown) {
    if (error !== undefined) onError(error);
    if (connection !== from) return; // already replaced or closed
    connection = null;
    setUp(false);
    from.end().catch(() => {});
    if (closed) return;
    timer = setTimeout(() => {
      timer = undefined;
      void attempt();
    }, wait).unref();
    wait = Math.min(wait * 2, maxWait);
  }

  async function attempt(): Promise<boolean> {
    if (closed) return false;
    const current = options.connect();
    connection = current;
    current.on('error', (error: unknown) => lost(current, error));
    current.on('end', () => lost(current));
    current.on('notification', (message: { channel: string; payload?: string }) => {
      if (message.channel !== channel) return;
      const payload = message.payload ?? '';
      if (payload.startsWith(PROBE_PREFIX)) {
        probes.get(payload)?.();
        return;
      }
      options.onChange();
    });
    try {
      await current.connect();
      await current.query(`LISTEN "${channel}"`);
    } catch (error) {
      lost(current, error);
      return false;
    }
    if (closed || connection !== current) {
      await current.end().catch(() => {});
      return false;
    }
    wait = firstWait;
    setUp(true);
    // Whatever committed while nobody listened was not notified: look now.
    options.onChange();
    return true;
  }

  return {
    start() {
      started ??= attempt();
      return started;
    },
    listening: () => up,
    async probe(send, timeoutMs = 2000) {
      if (!up) return false;
      const payload = `${PROBE_PREFIX}${randomUUID()}`;
      let arrived!: () => void;
      const received = new Promise<boolean>((resolve) => (arrived = () => resolve(true)));
      probes.set(payload, arrived);
      let timeout: NodeJS.Timeout | undefined;
      try {
        await send(channel, payload);
        return await Promise.race([received, new Promise<boolean>((resolve) => (timeout = setTimeout(() => resolve(false), timeoutMs).unref()))]);
      } finally {
        clearTimeout(timeout);
        probes.delete(payload);
      }
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      const current = connection;
      connection = null;
      up = false; // closed, not lost: onState is not told
      await current?.end().catch(() => {});
    },
  };
}
