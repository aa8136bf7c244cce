/**
 * CORS on /graphql (src/security/cors.ts): an allowed origin's preflight and
 * request over real HTTP, a refused origin, the defaults per NODE_ENV, the
 * configuration's checks, CSRF prevention kept behind it, and a real
 * Chromium page on another origin calling the API with a bearer token
 * (skipped with a message where /usr/bin/chromium is missing).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { ConfigError, loadConfig } from '../src/config.js';
import { startTestApi, type TestApi } from './support/api.js';
import { hasChromium, launchChromium } from './support/chromium.js';

const SHOP = 'https://shop.example.com';
const EVIL = 'https://evil.example.net';
const ME = JSON.stringify({ query: 'query Me { me { id email } }' });

let api: TestApi;
let customer: { token: string; globalId: string };
beforeAll(async () => {
  api = await startTestApi({ CORS_ORIGINS: `${SHOP}, http://localhost:5173`, CORS_MAX_AGE_SECONDS: '600' });
  customer = await api.signUp();
});
afterAll(() => api?.close());

/** The browser's preflight for a JSON POST with a bearer token, as Chromium sends it. */
const preflight = (url: string, origin: string, headers = 'content-type,authorization') =>
  fetch(url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': headers } });

const post = (url: string, headers: Record<string, string>, body = ME) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

describe('an allowed origin', () => {
  it('gets a cacheable 204 preflight that allows POST with authorization', async () => {
    const queries = api.services.dbStats.queries;
    const res = await preflight(api.url, SHOP);
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(SHOP);
    expect(res.headers.get('access-control-allow-methods')).toBe('GET,POST');
    const allowed = res.headers.get('access-control-allow-headers')!.split(',');
    expect(allowed).toEqual(expect.arrayContaining(['content-type', 'authorization', 'apollo-require-preflight', 'x-request-id']));
    expect(res.headers.get('access-control-max-age')).toBe('600');
    expect(res.headers.get('vary')).toMatch(/\bOrigin\b/);
    // Bearer tokens, not cookies: never the credentials mode.
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    expect(await res.text()).toBe('');
    // A preflight runs nothing.
    expect(api.services.dbStats.queries).toBe(queries);
  });

  it('reads the answer of its POST, and the request id', async () => {
    const res = await post(api.url, { origin: SHOP, authorization: `Bearer ${customer.token}` });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(SHOP);
    expect(res.headers.get('vary')).toMatch(/\bOrigin\b/);
    expect(res.headers.get('access-control-expose-headers')).toMatch(/x-request-id/);
    expect(((await res.json()) as { data: { me: { id: string } } }).data.me.id).toBe(customer.globalId);
  });

  it('keeps CSRF prevention: a GET without apollo-require-preflight is refused, with it served', async () => {
    const url = `${api.url}?query=${encodeURIComponent('{ __typename }')}`;
    const simple = await fetch(url, { headers: { origin: SHOP } });
    expect(simple.status).toBe(400);
    expect(await simple.text()).toMatch(/Cross-Site Request Forgery/);
    const flagged = await fetch(url, { headers: { origin: SHOP, 'apollo-require-preflight': 'true' } });
    expect(flagged.headers.get('access-control-allow-origin')).toBe(SHOP);
    expect(await flagged.json()).toEqual({ data: { __typename: 'Query' } });
  });
});

describe('request headers a page may send', () => {
  it("allows Apollo Client's client-awareness headers, and more with CORS_ALLOWED_HEADERS", async () => {
    const apolloClient = await preflight(api.url, SHOP, 'content-type,authorization,apollographql-client-name,apollographql-client-version');
    const allowed = (res: Response) => res.headers.get('access-control-allow-headers')!.split(',');
    expect(allowed(apolloClient)).toEqual(expect.arrayContaining(['apollographql-client-name', 'apollographql-client-version']));
    expect(allowed(apolloClient)).not.toContain('sentry-trace');
    const traced = await startTestApi({ CORS_ORIGINS: SHOP, CORS_ALLOWED_HEADERS: 'sentry-trace,baggage' });
    try {
      const res = await preflight(traced.url, SHOP, 'content-type,sentry-trace,baggage');
      expect(allowed(res)).toEqual(expect.arrayContaining(['content-type', 'authorization', 'sentry-trace', 'baggage']));
    } finally {
      await traced.close();
    }
  });
});

describe('a refused origin', () => {
  it('gets no Access-Control-Allow-Origin on its preflight or its request', async () => {
    const res = await preflight(api.url, EVIL);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    // Nor any other Access-Control-* header: nothing about the API's CORS rules is told to a page it refuses.
    expect([...res.headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual([]);
    // Exact matching: neither a look-alike nor another scheme or port of an allowed origin.
    for (const origin of ['https://shop.example.com.evil.net', 'http://shop.example.com', 'https://shop.example.com:8443', 'null', 'http://localhost:5174']) {
      expect((await preflight(api.url, origin)).headers.get('access-control-allow-origin'), origin).toBeNull();
    }
    const answer = await post(api.url, { origin: EVIL, authorization: `Bearer ${customer.token}` });
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    // CORS binds browsers only: the request itself is served (a browser hides the answer from the page).
    expect(answer.status).toBe(200);
  });

  it('a client without Origin (curl, a server) is served as before', async () => {
    const res = await post(api.url, { authorization: `Bearer ${customer.token}` });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(((await res.json()) as { data: { me: { id: string } } }).data.me.id).toBe(customer.globalId);
  });
});

describe('defaults and configuration', () => {
  it('allows the local dev origins outside production, none in production', async () => {
    const prod = await startTestApi({ NODE_ENV: 'production', JWT_SECRET: 'a-production-secret-of-at-least-32-characters' });
    const dev = await startTestApi({ NODE_ENV: 'development' });
    try {
      for (const origin of ['http://localhost:5173', 'http://127.0.0.1:5173', 'http://localhost:4173']) {
        expect((await preflight(dev.url, origin)).headers.get('access-control-allow-origin'), origin).toBe(origin);
        const refused = await preflight(prod.url, origin);
        expect(refused.status).toBe(204);
        expect(refused.headers.get('access-control-allow-origin'), origin).toBeNull();
      }
    } finally {
      await Promise.all([prod.close(), dev.close()]);
    }
  });

  it('refuses a malformed origin at start, naming it', () => {
    for (const bad of [
      'https://shop.example.com/',
      'shop.example.com',
      'https://*.example.com',
      'ftp://files.example.com',
      'https://shop.example.com/app',
      'null',
    ]) {
      expect(() => loadConfig({ CORS_ORIGINS: `http://localhost:5173,${bad}` }), bad).toThrow(ConfigError);
      expect(() => loadConfig({ CORS_ORIGINS: `http://localhost:5173,${bad}` }), bad).toThrow(`CORS_ORIGINS: ${JSON.stringify(bad)} is not an origin`);
    }
    expect(() => loadConfig({ CORS_MAX_AGE_SECONDS: '-1' })).toThrow(/CORS_MAX_AGE_SECONDS must be an integer from 0 to 86400/);
    expect(loadConfig({ CORS_ORIGINS: 'HTTPS://Shop.Example.com, http://localhost:5173' }).cors.origins).toEqual([SHOP, 'http://localhost:5173']);
    expect(loadConfig({ CORS_ORIGINS: '*' }).cors.origins).toBe('*');
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) }).cors).toEqual({ origins: [], maxAgeSeconds: 600, extraHeaders: [] });
    expect(loadConfig({ CORS_ALLOWED_HEADERS: ' Sentry-Trace, baggage ' }).cors.extraHeaders).toEqual(['sentry-trace', 'baggage']);
    expect(() => loadConfig({ CORS_ALLOWED_HEADERS: 'sentry-trace,bad header' })).toThrow('CORS_ALLOWED_HEADERS: "bad header" is not a header name');
  });
});

describe.skipIf(!hasChromium)('in Chromium', () => {
  let browser: Browser;
  let pages: http.Server;
  let port: number;
  let browserApi: TestApi;
  beforeAll(async () => {
    // A page server on its own port: http://127.0.0.1:<port> is allowed, http://localhost:<port> (another origin) is not.
    pages = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>shop</title>'));
    await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
    port = (pages.address() as AddressInfo).port;
    browserApi = await startTestApi({ CORS_ORIGINS: `http://127.0.0.1:${port}` });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await browserApi?.close();
    await new Promise((resolve) => pages?.close(resolve));
  });

  /** Opens `origin`'s page and runs fetch there: the answer's JSON, or the browser's error. */
  async function fetchFrom(origin: string, apiUrl: string, init: { method: string; headers: Record<string, string>; body?: string }) {
    const page = await browser.newPage();
    try {
      await page.goto(`${origin}/`);
      return await page.evaluate(
        async ({ apiUrl, init }) => {
          try {
            const response = await fetch(apiUrl, init);
            return { status: response.status, json: await response.json(), requestId: response.headers.get('x-request-id') };
          } catch (error) {
            return { error: String(error) };
          }
        },
        { apiUrl, init },
      );
    } finally {
      await page.close();
    }
  }

  it('an allowed page POSTs with a bearer token and reads the answer; a GET with apollo-require-preflight too', async () => {
    const user = await browserApi.signUp();
    const init = { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` }, body: ME };
    const res = await fetchFrom(`http://127.0.0.1:${port}`, browserApi.url, init);
    expect(res).toMatchObject({ status: 200, json: { data: { me: { id: user.globalId } } } });
    // An exposed header: the page can quote it to support.
    expect((res as { requestId: string }).requestId).toMatch(/^[0-9a-f-]{36}$/);
    const get = await fetchFrom(`http://127.0.0.1:${port}`, `${browserApi.url}?query=${encodeURIComponent('{ __typename }')}`, {
      method: 'GET',
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(get).toMatchObject({ status: 200, json: { data: { __typename: 'Query' } } });
  });

  it('a page of another origin is blocked by the browser', async () => {
    const init = { method: 'POST', headers: { 'content-type': 'application/json' }, body: ME };
    const res = await fetchFrom(`http://localhost:${port}`, browserApi.url, init);
    expect(res).toEqual({ error: expect.stringMatching(/Failed to fetch/) });
  });
});
