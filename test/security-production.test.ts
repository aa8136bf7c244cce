/**
 * Production mode (NODE_ENV=production): introspection refused, no Sandbox,
 * no field suggestions, masked internal errors without stack traces, CSRF
 * prevention on, and no start at all with the development JWT secret.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, DEVELOPMENT_JWT_SECRET, loadConfig } from '../src/config.js';
import { startTestApi, type TestApi } from './support/api.js';

let prod: TestApi;
let dev: TestApi;
beforeAll(async () => {
  [prod, dev] = await Promise.all([
    startTestApi({ NODE_ENV: 'production', JWT_SECRET: 'a-production-secret-of-at-least-32-characters' }),
    startTestApi({ NODE_ENV: 'development' }),
  ]);
});
afterAll(async () => {
  await prod?.close();
  await dev?.close();
});

async function post(api: TestApi, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  const response = await fetch(api.url, { method: 'POST', headers, body });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

const NO_STACK = /stacktrace|\n\s+at |\bat \S+ \(|node_modules|\.ts:\d+|<pre>|<html/i;

describe('in production', () => {
  it('refuses introspection (__schema and __type), still answers __typename', async () => {
    for (const query of ['{ __schema { types { name } } }', '{ __type(name: "User") { fields { name } } }', 'query { a: __schema { queryType { name } } }']) {
      const res = await prod.gql(query);
      expect(res.status).toBe(400);
      expect(res.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(res.errors?.[0]?.message).toMatch(/introspection is not allowed/);
      expect(res.data).toBeUndefined();
    }
    expect((await prod.gql('{ __typename }')).data).toEqual({ __typename: 'Query' });
    // Development keeps it, for Sandbox and codegen.
    expect((await dev.gql('{ __schema { queryType { name } } }')).data).toEqual({ __schema: { queryType: { name: 'Query' } } });
  });

  it('serves no Sandbox or landing page to a browser', async () => {
    const page = await fetch(prod.url, { headers: { accept: 'text/html' } });
    const text = await page.text();
    expect(page.headers.get('content-type')).not.toMatch(/html/);
    expect(text).not.toMatch(/sandbox|<html|apollographql/i);
    expect((await (await fetch(dev.url, { headers: { accept: 'text/html' } })).text()).toLowerCase()).toContain('sandbox');
    // No redirect to a playground either: / stays a JSON 404.
    const root = await fetch(prod.url.replace(/\/graphql$/, '/'), { redirect: 'manual' });
    expect(root.status).toBe(404);
    expect(root.headers.get('location')).toBeNull();
  });

  it('does not suggest field names ("Did you mean") that would map the schema', async () => {
    const res = await prod.gql('{ prodcts { edges { node { id } } } me { emial } }');
    expect(res.errors?.map((e) => e.message)).toEqual(['Cannot query field "prodcts" on type "Query".', 'Cannot query field "emial" on type "User".']);
    expect((await dev.gql('{ prodcts { edges { node { id } } } }')).errors?.[0]?.message).toMatch(/Did you mean "products"/);
  });

  it('masks an internal error: a fixed message, no stack, no SQL, no detail', async () => {
    const customer = await prod.signUp();
    await prod.services.rawDb.$executeRawUnsafe('ALTER TABLE "Order" RENAME TO "OrderMoved"');
    try {
      const response = await fetch(prod.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${customer.token}` },
        body: JSON.stringify({ query: '{ me { id orders { edges { node { id } } } } }' }),
      });
      const text = await response.text();
      expect(response.status).toBe(200);
      expect(JSON.parse(text).errors).toEqual([{ message: 'Internal server error', path: ['me', 'orders'], extensions: { code: 'INTERNAL_SERVER_ERROR' } }]);
      expect(text).not.toMatch(NO_STACK);
      expect(text).not.toMatch(/OrderMoved|Order"|relation|prisma|postgres/i);
    } finally {
      await prod.services.rawDb.$executeRawUnsafe('ALTER TABLE "OrderMoved" RENAME TO "Order"');
    }
  });

  it('answers bodies that never reach GraphQL with JSON errors, never a stack trace (in any mode)', async () => {
    for (const api of [prod, dev]) {
      for (const [body, headers, status] of [
        ['{"query": ', { 'content-type': 'application/json' }, 400],
        ['{ me { id } }', { 'content-type': 'text/plain', 'apollo-require-preflight': 'true' }, 415],
        [JSON.stringify({ query: '{ me { id } }', pad: 'x'.repeat(120_000) }), { 'content-type': 'application/json' }, 413],
        ['{"query": "{ me { id } }"}', { 'content-type': 'application/json; charset=latin1' }, 415],
      ] as const) {
        const res = await post(api, body, headers);
        expect(res.status, `${body.slice(0, 20)} ${JSON.stringify(headers)}`).toBe(status);
        expect(res.headers.get('content-type')).toMatch(/^application\/json/);
        expect(JSON.parse(res.text).errors[0].extensions.code).toMatch(/^(BAD_REQUEST|PAYLOAD_TOO_LARGE)$/);
        expect(res.text).not.toMatch(NO_STACK);
      }
    }
  });

  it('keeps CSRF prevention on: a simple cross-site request is refused before it runs', async () => {
    const queries = prod.services.dbStats.queries;
    const get = await fetch(`${prod.url}?query=${encodeURIComponent('{ me { id } }')}`);
    expect(get.status).toBe(400);
    expect(await get.text()).toMatch(/Cross-Site Request Forgery/);
    const form = await post(prod, 'query=mutation{checkout{id}}', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(form.status).toBeGreaterThanOrEqual(400);
    expect(form.status).toBeLessThan(500);
    expect(prod.services.dbStats.queries).toBe(queries);
    // A GET with the preflight header (which a cross-site form cannot send) is served.
    const allowed = await fetch(`${prod.url}?query=${encodeURIComponent('{ __typename }')}`, { headers: { 'apollo-require-preflight': 'true' } });
    expect(await allowed.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('sends no X-Powered-By, and tells caches not to store answers', async () => {
    const response = await fetch(prod.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(response.headers.get('x-powered-by')).toBeNull();
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('rate limits logIn and signUp by default', () => {
    expect(prod.services.config.rateLimits).not.toBeNull();
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) }).rateLimits).toMatchObject({
      logInPerIp: { points: 100, seconds: 86_400 },
      logInPerIpAndAccount: { points: 10, seconds: 3600 },
      logInPerAccount: { points: 1000, seconds: 86_400 },
    });
  });
});

describe('configuration', () => {
  it('refuses the development JWT secret, unset or set explicitly, and a short one', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: DEVELOPMENT_JWT_SECRET })).toThrow(/development default is refused/);
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 's'.repeat(31) })).toThrow(/at least 32 characters/);
  });

  it('validates the security settings with clear messages', () => {
    expect(() => loadConfig({ RATE_LIMITS: 'maybe' })).toThrow(new ConfigError('RATE_LIMITS must be on or off, got "maybe"'));
    expect(() => loadConfig({ RATE_LIMIT_LOGIN_PER_IP: '10 per minute' })).toThrow(/RATE_LIMIT_LOGIN_PER_IP must be <attempts>\/<seconds> like 100\/86400/);
    expect(() => loadConfig({ RATE_LIMIT_SIGNUP_PER_ACCOUNT: '0/60' })).toThrow(/RATE_LIMIT_SIGNUP_PER_ACCOUNT must be/);
    expect(() => loadConfig({ QUERY_MAX_DEPTH: '1' })).toThrow(/QUERY_MAX_DEPTH must be an integer from 2 to 100/);
    expect(() => loadConfig({ QUERY_MAX_COST: 'lots' })).toThrow(/QUERY_MAX_COST must be an integer/);
    expect(() => loadConfig({ BODY_LIMIT_BYTES: '100kb' })).toThrow(/BODY_LIMIT_BYTES must be an integer from 1024/);
    expect(() => loadConfig({ REQUEST_TIMEOUT_MS: '0' })).toThrow(/REQUEST_TIMEOUT_MS must be an integer from 100/);
    expect(() => loadConfig({ TRUST_PROXY: 'everyone' })).toThrow(/TRUST_PROXY must be false, a hop count, or a comma-separated list/);
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).trustProxy).toBe('loopback,10.0.0.0/8');
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ NODE_ENV: 'test' }).rateLimits).toBeNull();
    expect(loadConfig({ NODE_ENV: 'test', RATE_LIMITS: 'on', RATE_LIMIT_LOGIN_PER_IP: '7/30' }).rateLimits?.logInPerIp).toEqual({ points: 7, seconds: 30 });
  });

  it('the entry point refuses to start in production with the development secret', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { ...process.env, NODE_ENV: 'production', JWT_SECRET: DEVELOPMENT_JWT_SECRET, LOG_LEVEL: 'info', VITEST: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(output).toMatch(/invalid configuration: JWT_SECRET must be set in production: the development default is refused/);
    expect(output).not.toContain(DEVELOPMENT_JWT_SECRET);
  });
});
