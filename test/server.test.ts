/**
 * The server as an operator and a playground user meet it: health and
 * readiness, Sandbox in development, production mode, masked errors,
 * configuration checks and graceful shutdown of the real entry point.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, DEVELOPMENT_JWT_SECRET, loadConfig } from '../src/config.js';
import { createErrorFormatter } from '../src/graphql/errors.js';
import { startTestApi, type TestApi } from './support/api.js';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api?.close());

const base = () => api.url.replace(/\/graphql$/, '');

describe('HTTP endpoints', () => {
  it('an unknown path is a JSON 404 with a code, like every other answer', async () => {
    for (const [method, path] of [
      ['GET', '/nope'],
      ['PUT', '/readyz'],
      ['DELETE', '/healthz'],
    ] as const) {
      const res = await fetch(`${base()}${path}`, { method });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await res.json()).toEqual({ errors: [{ message: 'Not found: the API is at /graphql', extensions: { code: 'NOT_FOUND' } }] });
    }
  });

  it('/healthz answers, /readyz checks PostgreSQL and Redis', async () => {
    expect(await (await fetch(`${base()}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${base()}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'ok' } });
  });

  it('serves Apollo Sandbox to a browser in development, linking to GraphiQL for offline use', async () => {
    const page = await fetch(api.url, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toMatch(/sandbox/i);
    // In the text Apollo shows when Sandbox cannot load from its CDN.
    expect(html).toMatch(
      /<div class="fallback">[\s\S]*might be offline\.<\/p>\s*<p>Offline\? The self-hosted <a href="\/graphiql">GraphiQL at \/graphiql<\/a>/,
    );
  });

  it('redirects / to GraphiQL outside production', async () => {
    const res = await fetch(`${base()}/`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/graphiql');
    const followed = await fetch(`${base()}/`);
    expect(followed.url).toBe(`${base()}/graphiql`);
    expect(await followed.text()).toMatch(/<title>GraphiQL/);
  });

  it('refuses a GET mutation and a request without a JSON content type (CSRF prevention)', async () => {
    const res = await fetch(`${api.url}?query=${encodeURIComponent('mutation { checkout { id } }')}`, { headers: { 'apollo-require-preflight': 'true' } });
    expect(res.status).toBe(405);
    const simple = await fetch(`${api.url}?query=${encodeURIComponent('{ me { id } }')}`);
    expect(simple.status).toBe(400);
  });

  it('refuses a body over the size limit', async () => {
    const res = await fetch(api.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ me { id } }`, pad: 'x'.repeat(200_000) }),
    });
    expect(res.status).toBe(413);
  });

  it('reads a body as any HTTP body: compressed, in a UTF charset; refuses what it cannot read with a JSON error', async () => {
    const body = JSON.stringify({ query: '{ __typename }' });
    const post = async (payload: string | Buffer, headers: Record<string, string>) => {
      const res = await fetch(api.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: new Uint8Array(Buffer.from(payload)),
      });
      return {
        status: res.status,
        type: res.headers.get('content-type'),
        json: (await res.json()) as { data?: unknown; errors?: { message: string; extensions: { code: string } }[] },
      };
    };
    for (const [encoding, compress] of [
      ['gzip', gzipSync],
      ['deflate', deflateSync],
      ['br', brotliCompressSync],
    ] as const) {
      expect((await post(compress(body), { 'content-encoding': encoding })).json, encoding).toEqual({ data: { __typename: 'Query' } });
    }
    expect((await post(Buffer.from(body, 'utf16le'), { 'content-type': 'application/json; charset=utf-16le' })).json).toEqual({
      data: { __typename: 'Query' },
    });
    // A compressed bomb stops at the limit, counted in decompressed bytes.
    const bomb = gzipSync(JSON.stringify({ query: '{ __typename }', pad: 'x'.repeat(5_000_000) }));
    expect(bomb.length).toBeLessThan(102_400);
    for (const [payload, headers, status, message] of [
      [bomb, { 'content-encoding': 'gzip' }, 413, /larger than the limit of 102400 bytes/],
      [body, { 'content-encoding': 'gzip' }, 400, /incorrect header check/],
      [body, { 'content-encoding': 'compress' }, 415, /unsupported content encoding "compress"/],
      [body, { 'content-encoding': 'constructor' }, 415, /unsupported content encoding "constructor"/],
      [body, { 'content-type': 'application/json; charset=utf8' }, 415, /unsupported charset "UTF8"/],
      ['null', {}, 400, /not valid JSON \(or not a JSON object\)/],
    ] as const) {
      const res = await post(payload, headers);
      expect(res.status, JSON.stringify(headers)).toBe(status);
      expect(res.type).toMatch(/^application\/json/);
      expect(res.json.errors?.[0]?.message).toMatch(message);
    }
  });

  it('answers a request without a valid Host 400, and a path that cannot be decoded 404, both as JSON', async () => {
    const { port } = new URL(base());
    const raw = (request: string) =>
      new Promise<string>((resolve, reject) => {
        let received = '';
        const socket = net.connect(Number(port), '127.0.0.1', () => socket.end(request));
        socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
        socket.on('close', () => resolve(received));
        socket.on('error', reject);
      });
    const body = JSON.stringify({ query: '{ __typename }' });
    const answer = await raw(
      `POST /graphql HTTP/1.1\r\nHost: not a host\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toMatch(/"code":"BAD_REQUEST"/);
    const undecodable = await fetch(`${base()}/%zz`);
    expect(undecodable.status).toBe(404);
    expect(((await undecodable.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('NOT_FOUND');
  });

  it('rejects an invalid or forged token as anonymous', async () => {
    const res = await api.gql(`{ me { id } }`, {}, 'not-a-token');
    expect(res.data).toEqual({ me: null });
  });
});

describe('errors', () => {
  it('masks unexpected errors and keeps safe ones', () => {
    const logged: unknown[] = [];
    const format = createErrorFormatter((e) => logged.push(e));
    const masked = format(
      { message: 'connection refused to 10.0.0.1', extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['at x'] } },
      new Error('connection refused to 10.0.0.1'),
    );
    expect(masked).toEqual({ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(logged).toHaveLength(1);
    const validation = format({ message: 'Cannot query field "x"', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }, undefined);
    expect(validation.extensions).toEqual({ code: 'GRAPHQL_VALIDATION_FAILED' });
  });

  it('answers a query for an unknown field with a validation error', async () => {
    const res = await api.gql(`{ nope }`);
    expect(res.status).toBe(400);
    expect(res.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});

describe('configuration', () => {
  it('validates with messages that say what was expected and received', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(new ConfigError('PORT must be an integer from 0 to 65535, got "eighty"'));
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL must start with postgresql:\/\/ or postgres:\/\//);
    expect(() => loadConfig({ REDIS_URL: 'not a url' })).toThrow(/REDIS_URL must be a URL/);
    expect(() => loadConfig({ CACHE_TTL_SECONDS: '0' })).toThrow(/CACHE_TTL_SECONDS must be an integer from 1/);
    expect(() => loadConfig({ NODE_ENV: 'staging' })).toThrow(/NODE_ENV must be development, production or test/);
  });

  it('refuses the development JWT secret, or a short one, in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET must be set in production/);
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: DEVELOPMENT_JWT_SECRET })).toThrow(/development default is refused/);
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'short' })).toThrow(/at least 32 characters/);
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) }).nodeEnv).toBe('production');
  });
});

/** Runs the real entry point (src/main.ts) as a child process. */
function runMain(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { ...process.env, LOG_LEVEL: 'info', VITEST: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { child, exited, output: () => output };
}

describe('the entry point', () => {
  it('refuses to start in production with the development secret', async () => {
    const run = runMain({ NODE_ENV: 'production', JWT_SECRET: '' });
    expect(await run.exited).toBe(1);
    expect(run.output()).toMatch(/invalid configuration: JWT_SECRET must be set in production/);
  });

  it('starts, serves, and shuts down gracefully on SIGTERM', async () => {
    const run = runMain({
      NODE_ENV: 'development',
      PORT: '0',
      DATABASE_URL: api.services.config.databaseUrl!,
      REDIS_URL: api.services.config.redisUrl!,
      CACHE_NAMESPACE: api.namespace,
    });
    await expect.poll(() => run.output(), { timeout: 20_000 }).toMatch(/ready at (http:\/\/[0-9.:]+)\/graphql/);
    const url = /ready at (http:\/\/[0-9.:]+)\/graphql/.exec(run.output())![1];
    // Both playgrounds, by URL.
    await expect.poll(() => run.output()).toContain(`playgrounds: GraphiQL at ${url}/graphiql (self-hosted, works offline), Apollo Sandbox at ${url}/graphql`);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(run.output()).toMatch(/stopped/);
  });
});
