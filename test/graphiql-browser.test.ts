/**
 * The self-hosted GraphiQL playground at /graphiql, in a real browser
 * (Debian's chromium, driven by playwright-core; no browser download): it
 * loads offline, takes the bearer token from `?token=`, runs a query and a
 * mutation, and asks nothing of any origin but the test server. Leaves a
 * screenshot in docs/graphiql.png. Skipped (with a message) where
 * /usr/bin/chromium is missing: `apt-get install chromium` (.ci/run does).
 */
import { tmpdir } from 'node:os';
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestApi, type TestApi } from './support/api.js';
import { chromiumMissing, hasChromium, launchChromium } from './support/chromium.js';

const SKIP_MESSAGE = chromiumMissing('the GraphiQL browser test');

let api: TestApi;
let base: string;
let browser: Browser | undefined;
beforeAll(async () => {
  api = await startTestApi();
  base = api.url.replace(/\/graphql$/, '');
  if (!hasChromium) {
    console.warn(`skipping the GraphiQL browser test: ${SKIP_MESSAGE}`);
    return;
  }
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await api?.close();
});

describe('GraphiQL over HTTP', () => {
  it('serves the page and its assets from this origin, with a strict CSP', async () => {
    const page = await fetch(`${base}/graphiql`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).not.toMatch(/https?:|\*|unsafe-/);
    const html = await page.text();
    // No absolute URL anywhere in the page: its assets are relative to this server.
    expect(html).not.toMatch(/(src|href|content)="(https?:)?\/\//);

    const js = await fetch(`${base}/graphiql/assets/graphiql.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect((await js.arrayBuffer()).byteLength).toBeGreaterThan(100_000);
    const css = await fetch(`${base}/graphiql/assets/graphiql.css`);
    expect(css.status).toBe(200);
    expect(await css.text()).toMatch(/\.graphiql-container/);
    const schema = await fetch(`${base}/graphiql/schema.graphql`);
    expect(await schema.text()).toMatch(/type Query/);
  });

  it('is not mounted in production', async () => {
    const prod = await startTestApi({ NODE_ENV: 'production', JWT_SECRET: 'a-production-secret-of-at-least-32-characters' });
    try {
      const res = await fetch(`${prod.url.replace(/\/graphql$/, '')}/graphiql`);
      expect(res.status).toBe(404);
    } finally {
      await prod.close();
    }
  });
});

/** Replaces the query editor's contents by typing, as a user would. */
async function typeQuery(page: Page, text: string) {
  await page.locator('.graphiql-query-editor .CodeMirror').first().click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  // One line, no newlines: the editor's auto-indent and bracket closing leave it as typed.
  await page.keyboard.type(text, { delay: 5 });
  await page.keyboard.press('Escape'); // closes an autocompletion popup, if any
  await page.keyboard.press('Shift+Control+P'); // GraphiQL's "prettify": one field a line
  await page.keyboard.press('Escape');
}

async function run(page: Page) {
  await page.locator('.graphiql-execute-button').click();
}

/** The contents of the variables and headers editors (CodeMirror keeps long lines out of the DOM). */
const HEADERS_EDITOR = "[...document.querySelectorAll('.graphiql-editor-tool .CodeMirror')].map((e) => e.CodeMirror.getValue()).join('\\n')";

const resultText = (page: Page) => page.locator('.result-window').innerText();

describe('GraphiQL in a real browser', () => {
  it('runs a query and a mutation with the token from ?token=, offline', async (context) => {
    if (!browser) context.skip(SKIP_MESSAGE);
    const product = await api.product({ name: 'Browser Teapot', priceCents: 2500, stock: 5 });
    const { token, globalId } = await api.signUp('Browser User');
    const me = await api.gql(`{ me { email } }`, {}, token);
    const email: string = me.data.me.email;

    const browserContext = await browser!.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
    const page = await browserContext.newPage();
    const origin = new URL(base).origin;
    const foreign: string[] = [];
    page.on('request', (request) => {
      const url = request.url();
      if (!url.startsWith('data:') && new URL(url).origin !== origin) foreign.push(url);
    });
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    // CSP violations are reported as DOM events: collect them too.
    await page.addInitScript({
      content: "document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));",
    });

    try {
      await page.goto(`${base}/graphiql?token=${encodeURIComponent(token)}`);
      await page.locator('.graphiql-query-editor .CodeMirror').first().waitFor({ timeout: 20_000 });
      // The token is in the Headers tab, and gone from the address bar.
      await expect.poll(() => page.evaluate<string>(HEADERS_EDITOR)).toContain(`"Authorization": "Bearer ${token}"`);
      expect(page.url()).not.toContain(token);

      await typeQuery(page, '{ me { email cart { itemCount } } }');
      await run(page);
      await expect.poll(() => resultText(page), { timeout: 10_000 }).toContain(email);
      expect(await resultText(page)).toMatch(/"itemCount": 0/);

      await typeQuery(
        page,
        `mutation { addToCart(input: { productId: "${product.globalId}", quantity: 3 }) { itemCount totalCents items { product { name } quantity } } }`,
      );
      await run(page);
      await expect.poll(() => resultText(page), { timeout: 10_000 }).toMatch(/"itemCount": 3/);
      expect(await resultText(page)).toContain('Browser Teapot');
      expect(await resultText(page)).toMatch(/"totalCents": 7500/);

      // The mutation really happened, for this user.
      const cart = await api.gql(`{ me { id cart { itemCount } } }`, {}, token);
      expect(cart.data.me).toEqual({ id: globalId, cart: { itemCount: 3 } });

      expect(foreign).toEqual([]);
      expect(problems).toEqual([]);

      // Opening GraphiQL's settings dialog (Radix, which injects a <style> with the page's nonce) breaks no CSP rule either.
      await page.locator('[aria-label="Open settings dialog"]').click();
      await page.locator('.graphiql-dialog').waitFor();
      await page.keyboard.press('Escape');
      await page.locator('.graphiql-dialog').waitFor({ state: 'detached' });
      expect(problems).toEqual([]);

      // No cursor, autocompletion popup or hovered button in the picture.
      await page.evaluate('document.activeElement?.blur()');
      await page.mouse.move(1000, 700);
      mkdirSync('docs', { recursive: true });
      // docs/graphiql.png is refreshed on request only (its token and ids change every run).
      await page.screenshot({ path: process.env.UPDATE_SCREENSHOTS ? 'docs/graphiql.png' : path.join(tmpdir(), 'graphiql.png') });
    } finally {
      await browserContext.close();
    }
  });

  it('the Sandbox page, offline, shows a link that leads to GraphiQL; / leads there too', async (context) => {
    if (!browser) context.skip(SKIP_MESSAGE);
    const browserContext = await browser!.newContext();
    const page = await browserContext.newPage();
    const origin = new URL(base).origin;
    // Offline: every request to another origin (Apollo's CDN) fails.
    await page.route('**/*', (route) => (new URL(route.request().url()).origin === origin ? route.continue() : route.abort('internetdisconnected')));
    try {
      await page.goto(`${base}/graphql`);
      const link = page.getByRole('link', { name: 'GraphiQL at /graphiql' });
      // Apollo's fallback text fades in after a second when Sandbox cannot load.
      await expect.poll(() => link.isVisible(), { timeout: 10_000 }).toBe(true);
      await expect.poll(() => page.evaluate<number>("Number(getComputedStyle(document.querySelector('.fallback')).opacity)"), { timeout: 10_000 }).toBe(1);
      await link.click();
      await page.locator('.graphiql-query-editor .CodeMirror').first().waitFor({ timeout: 20_000 });
      expect(new URL(page.url()).pathname).toBe('/graphiql');

      await page.goto(`${base}/`);
      await page.locator('.graphiql-query-editor .CodeMirror').first().waitFor({ timeout: 20_000 });
      expect(new URL(page.url()).pathname).toBe('/graphiql');
    } finally {
      await browserContext.close();
    }
  });
});
