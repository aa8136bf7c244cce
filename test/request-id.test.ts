/** Every log line written while serving a request carries its id, which the response echoes. */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { startServer, type ApiServer } from '../src/server/http.js';
import { createServices, type Services } from '../src/services.js';
import { createTestDatabase } from './support/databases.js';

const lines: string[] = [];
let services: Services;
let server: ApiServer;
let drop: () => Promise<void>;

beforeAll(async () => {
  const database = await createTestDatabase();
  drop = database.drop;
  const config = loadConfig({
    ...process.env,
    NODE_ENV: 'test',
    REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    DATABASE_URL: database.url,
    CACHE_NAMESPACE: `t${randomBytes(4).toString('hex')}:`,
  });
  services = createServices(config, createLogger('info', { write: (line: string) => void lines.push(line) }));
  await services.ready();
  server = await startServer(services, { port: 0 });
});
afterAll(async () => {
  await server?.stop();
  await services?.close();
  await drop?.();
});

const post = (headers: Record<string, string>) =>
  fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query: 'query Who { me { id } }' }),
  });

it('keeps a well-formed x-request-id, logs it with the operation, and echoes it', async () => {
  const response = await post({ 'x-request-id': 'client-chosen-42' });
  expect(response.headers.get('x-request-id')).toBe('client-chosen-42');
  await response.json();
  const line = lines.map((l) => JSON.parse(l)).find((entry) => entry.msg === 'graphql operation' && entry.requestId === 'client-chosen-42');
  expect(line).toMatchObject({ operation: 'Who', level: 30 });
});

it('replaces a malformed one with a fresh id', async () => {
  const response = await post({ 'x-request-id': 'bad id\twith spaces' });
  const id = response.headers.get('x-request-id');
  expect(id).toMatch(/^[0-9a-f-]{36}$/);
  await response.json();
  expect(lines.some((l) => JSON.parse(l).requestId === id)).toBe(true);
});

it('keeps it for a body that arrives after the headers, in pieces', async () => {
  const body = JSON.stringify({ query: 'query Slow { me { id } }' });
  const socket = net.connect(Number(new URL(server.url).port), '127.0.0.1');
  let answer = '';
  socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
  const closed = new Promise((resolve) => socket.on('close', resolve));
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(
    `POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nX-Request-Id: sent-in-pieces\r\nConnection: close\r\n\r\n`,
  );
  // The headers are read and the request dispatched before any of its body is here.
  for (const piece of [body.slice(0, 10), body.slice(10)]) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.write(piece);
  }
  await closed;
  expect(answer).toMatch(/^HTTP\/1\.1 200 /);
  expect(answer).toMatch(/\r\nx-request-id: sent-in-pieces\r\n/i);
  const line = lines.map((l) => JSON.parse(l)).find((entry) => entry.msg === 'graphql operation' && entry.operation === 'Slow');
  expect(line).toMatchObject({ requestId: 'sent-in-pieces' });
});
