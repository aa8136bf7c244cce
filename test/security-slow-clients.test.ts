/**
 * Slow clients (slow-loris): a client that dribbles its headers or its body
 * is answered 408 and cut off when its time is up (HEADERS_TIMEOUT_MS,
 * HTTP_REQUEST_TIMEOUT_MS), not up to 30 s later (Node only looks for such
 * connections every `connectionsCheckingInterval`, 30 s by default); an idle
 * keep-alive connection is closed after KEEP_ALIVE_TIMEOUT_MS (plus Node's
 * second of grace). Raw `net` sockets, so nothing buffers the dribble.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './support/api.js';

/** How late a timeout may fire: the checking interval (at most 1 s) and scheduling. */
const SLACK_MS = 1500;

interface Cut {
  /** From the first byte of the slow request to the server closing the connection. */
  ms: number;
  received: string;
}

/**
 * Connects to `url`'s port, sends `before` (a complete request, or nothing) and waits for its answer,
 * then sends `start` and one more byte of `drip` every `everyMs` until the server closes the connection.
 */
async function dribble(
  url: string,
  { before = '', start, drip, everyMs = 300 }: { before?: string; start: string; drip?: string; everyMs?: number },
): Promise<Cut> {
  const socket = net.connect(Number(new URL(url).port), '127.0.0.1');
  socket.setNoDelay(true);
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  if (before) {
    socket.write(before);
    while (!/\r\n\r\n[\s\S]*\}\s*$/.test(received)) await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const started = performance.now();
  socket.write(start);
  let timer: NodeJS.Timeout | undefined;
  if (drip) {
    let i = 0;
    timer = setInterval(() => {
      if (!socket.destroyed) socket.write(drip[i++ % drip.length]!);
    }, everyMs);
  }
  await closed;
  clearInterval(timer);
  return { ms: performance.now() - started, received };
}

const HEALTH = 'GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n';
const TIMED_OUT = /HTTP\/1\.1 408 Request Timeout\r\nConnection: close\r\n\r\n$/;

describe.concurrent('slow clients, with lowered timeouts', { timeout: 15_000 }, () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ HEADERS_TIMEOUT_MS: '2000', HTTP_REQUEST_TIMEOUT_MS: '4000', KEEP_ALIVE_TIMEOUT_MS: '1000' });
  });
  afterAll(() => api?.close());

  it('a client dribbling its headers (a byte every 300 ms) gets 408 and is cut off at HEADERS_TIMEOUT_MS', async () => {
    const cut = await dribble(api.url, { start: 'POST /graphql HTTP/1.1\r\nHost: test\r\nX-Slow: ', drip: 'abcdefgh' });
    expect(cut.received).toMatch(TIMED_OUT);
    expect(cut.ms).toBeGreaterThan(2000 - 100);
    expect(cut.ms).toBeLessThan(2000 + SLACK_MS);
  });

  it('the same on the second request of a keep-alive connection: its headers get HEADERS_TIMEOUT_MS from their first byte', async () => {
    const cut = await dribble(api.url, { before: HEALTH, start: 'POST /graphql HTTP/1.1\r\nHost: test\r\nX-Slow: ', drip: 'abcdefgh' });
    expect(cut.received).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(cut.received).toMatch(TIMED_OUT);
    expect(cut.ms).toBeGreaterThan(2000 - 100);
    expect(cut.ms).toBeLessThan(2000 + SLACK_MS);
  });

  it('a client dribbling its body gets 408 and is cut off at HTTP_REQUEST_TIMEOUT_MS', async () => {
    const cut = await dribble(api.url, {
      start: 'POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"query":"',
      drip: 'aaaaaaaa',
    });
    expect(cut.received).toMatch(TIMED_OUT);
    expect(cut.ms).toBeGreaterThan(4000 - 100);
    expect(cut.ms).toBeLessThan(4000 + SLACK_MS);
  });

  it('a client that sends nothing more after its first bytes is cut off the same way', async () => {
    const cut = await dribble(api.url, { start: 'POST /gra' });
    expect(cut.received).toMatch(TIMED_OUT);
    expect(cut.ms).toBeLessThan(2000 + SLACK_MS);
  });

  it("an idle keep-alive connection is closed after KEEP_ALIVE_TIMEOUT_MS (and Node's second of grace), as advertised", async () => {
    const cut = await dribble(api.url, { before: HEALTH, start: '' });
    expect(cut.received).toMatch(/\r\nKeep-Alive: timeout=1\r\n/);
    expect(cut.ms).toBeGreaterThan(1000 - 100);
    expect(cut.ms).toBeLessThan(1000 + 1000 + SLACK_MS);
  });

  it('a request sent at a normal pace is still answered', async () => {
    const response = await fetch(api.url.replace(/graphql$/, 'healthz'));
    expect(response.status).toBe(200);
  });
});

describe('slow clients, with the documented defaults', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ HEADERS_TIMEOUT_MS: '', HTTP_REQUEST_TIMEOUT_MS: '', KEEP_ALIVE_TIMEOUT_MS: '' });
  });
  afterAll(() => api?.close());

  it('a client dribbling its headers is cut off 10 s after its first byte (README), not up to 30 s later', { timeout: 20_000 }, async () => {
    expect(api.services.config.httpTimeouts).toEqual({ headersMs: 10_000, requestMs: 30_000, keepAliveMs: 5000 });
    const cut = await dribble(api.url, { start: 'POST /graphql HTTP/1.1\r\nHost: test\r\nX-Slow: ', drip: 'abcdefgh', everyMs: 500 });
    expect(cut.received).toMatch(TIMED_OUT);
    expect(cut.ms).toBeGreaterThan(10_000 - 100);
    expect(cut.ms).toBeLessThan(10_000 + SLACK_MS);
  });
});
