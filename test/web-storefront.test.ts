/**
 * The web storefront (examples/web) in a real browser (Debian's chromium, driven by
 * playwright-core; no browser download), on its own origin, against a real API on
 * another origin (CORS): the app is built with Vite's JS API and served by Vite's
 * preview server. A shopper signs up, pages through and searches the catalog, adds two
 * products, changes a quantity, checks out and sees the order; meanwhile an admin, in a
 * second browser context, changes a price, and the shopper's reload shows it. Then the
 * app built for trusted documents sends hashes only to an API that runs nothing else.
 * Screenshots go to docs/web-*.png with UPDATE_SCREENSHOTS=1 (their ids and dates change
 * every run), to the temporary directory otherwise. Skipped (with a message) where
 * /usr/bin/chromium is missing: `apt-get install chromium` (.ci/run does).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';
import { startTestApi, type TestApi } from './support/api.js';
import { chromiumMissing, hasChromium, launchChromium } from './support/chromium.js';

const SKIP_MESSAGE = chromiumMissing('the web storefront browser test');

const WEB_ROOT = path.resolve('examples/web');
const MANIFEST = path.join(WEB_ROOT, 'src/gql/persisted-documents.json');
const PASSWORD = 'correct horse battery';

/** A free TCP port on 127.0.0.1 (the app's origin must be known before the API starts: CORS_ORIGINS). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The app, built for `apiUrl` and served on its own origin. */
interface WebApp {
  origin: string;
  close(): Promise<void>;
}

/** Builds examples/web with Vite's JS API (VITE_* from the environment, as `vite build` reads them) and serves it with `vite preview`. */
async function serveWebApp(port: number, env: Record<string, string>): Promise<WebApp> {
  const outDir = mkdtempSync(path.join(tmpdir(), 'storefront-web-'));
  const saved = Object.fromEntries(['NODE_ENV', ...Object.keys(env)].map((key) => [key, process.env[key]]));
  // NODE_ENV: production, as `vite build` has it (vitest's NODE_ENV=test would give React's development build).
  Object.assign(process.env, { NODE_ENV: 'production', ...env });
  try {
    await build({ root: WEB_ROOT, mode: 'production', logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
  const server: PreviewServer = await preview({
    root: WEB_ROOT,
    logLevel: 'warn',
    build: { outDir },
    preview: { host: '127.0.0.1', port, strictPort: true, open: false },
  });
  return {
    origin: `http://127.0.0.1:${port}`,
    async close() {
      await server.close();
      rmSync(outDir, { recursive: true, force: true });
    },
  };
}

/** An account with a known password, made an admin the way TestApi.admin() does it (through the write-through). */
async function adminAccount(api: TestApi): Promise<{ email: string; password: string }> {
  const email = `admin-${Date.now()}@example.com`;
  const res = await api.gql(`mutation($input: SignUpInput!) { signUp(input: $input) { token user { id } } }`, {
    input: { email, name: 'Ada Admin', password: PASSWORD },
  });
  if (!res.data) throw new Error(`signUp failed: ${JSON.stringify(res.errors)}`);
  const id = Number(
    Buffer.from(res.data.signUp.user.id as string, 'base64url')
      .toString()
      .split(':')[1],
  );
  await api.services.db.user.update({ where: { id }, data: { role: 'ADMIN' } });
  await api.services.outbox.flush();
  return { email, password: PASSWORD };
}

/** What a page did that a test should know about: console errors, page errors, requests to other origins, GraphQL requests. */
interface Watch {
  problems: string[];
  foreign: string[];
  /** Every request to the API: method and parsed JSON body. */
  graphql: { method: string; body: Record<string, unknown> | null }[];
}

function watch(page: Page, allowedOrigins: string[], apiUrl: string): Watch {
  const seen: Watch = { problems: [], foreign: [], graphql: [] };
  page.on('console', (message) => {
    if (message.type() === 'error') seen.problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => seen.problems.push(`page error: ${error.message}`));
  page.on('request', (request) => {
    const url = request.url();
    if (url.startsWith('data:')) return;
    if (!allowedOrigins.includes(new URL(url).origin)) seen.foreign.push(url);
    if (url === apiUrl && request.method() !== 'OPTIONS') {
      const text = request.postData();
      seen.graphql.push({ method: request.method(), body: text ? (JSON.parse(text) as Record<string, unknown>) : null });
    }
  });
  return seen;
}

/** A screenshot for docs/ (with UPDATE_SCREENSHOTS=1) or the temporary directory. */
async function screenshot(page: Page, name: string) {
  await page.evaluate('document.activeElement?.blur()');
  await page.mouse.move(0, 0);
  await page.screenshot({ path: process.env.UPDATE_SCREENSHOTS ? `docs/${name}` : path.join(tmpdir(), name), fullPage: true });
}

/** The token the app keeps (localStorage `storefront.token`), or null. */
const storedToken = (page: Page) => page.evaluate<string | null>("localStorage.getItem('storefront.token')");

/** Polls until the assertion holds, for up to 10 s (pages answer in tens of milliseconds; a busy machine is slower). */
const eventually = <T>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 10_000, interval: 50 });

/**
 * The text of what matches, joined with " | " ('' when nothing does): read at once, never
 * waiting for an element to appear (a poll asks again instead).
 */
const textOf = async (locator: Locator) => (await locator.allInnerTexts()).join(' | ');
const text = (page: Page, testId: string) => textOf(page.getByTestId(testId));
const productNames = (page: Page) => page.getByTestId('product-card').locator('a.name').allInnerTexts();

let browser: Browser | undefined;
beforeAll(async () => {
  if (!hasChromium) {
    console.warn(`skipping the web storefront browser test: ${SKIP_MESSAGE}`);
    return;
  }
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

/** Sixteen products: three match "tea" (in name or description), sixteen make two pages of twelve. */
const CATALOG = [
  { name: 'Sencha Green Tea', description: 'Bright, grassy leaves from Shizuoka', priceCents: 850, stock: 20 },
  { name: 'Assam Black Tea', description: 'Malty and strong, for mornings', priceCents: 650, stock: 20 },
  { name: 'Cast Iron Pot', description: 'Keeps tea hot for an hour', priceCents: 3900, stock: 5 },
  { name: 'Ceramic Mug', description: 'Holds 350 ml', priceCents: 1200, stock: 30 },
  { name: 'Espresso Beans', description: 'Dark roast, 1 kg', priceCents: 1600, stock: 12 },
  { name: 'Pour-over Kettle', description: 'Gooseneck spout', priceCents: 4500, stock: 4 },
  { name: 'Milk Frother', description: 'Battery powered', priceCents: 1500, stock: 9 },
  { name: 'Coffee Grinder', description: 'Burr grinder, 15 settings', priceCents: 5900, stock: 3 },
  { name: 'Paper Filters', description: 'Box of 100', priceCents: 400, stock: 50 },
  { name: 'Honey Jar', description: 'Wildflower honey', priceCents: 900, stock: 15 },
  { name: 'Oat Biscuits', description: 'Baked in small batches', priceCents: 350, stock: 40 },
  { name: 'Dark Chocolate', description: '70% cocoa', priceCents: 450, stock: 25 },
  { name: 'Linen Napkins', description: 'Set of four', priceCents: 2200, stock: 8 },
  { name: 'Bamboo Tray', description: 'For serving', priceCents: 1900, stock: 6 },
  { name: 'Glass Jar', description: 'Airtight lid', priceCents: 700, stock: 20 },
  { name: 'Wooden Spoon', description: 'Olive wood', priceCents: 550, stock: 18 },
];

describe('the web storefront in a real browser', () => {
  let api: TestApi;
  let app: WebApp;
  let admin: { email: string; password: string };
  const ids = new Map<string, string>();

  beforeAll(async () => {
    if (!browser) return;
    const port = await freePort();
    api = await startTestApi({ CORS_ORIGINS: `http://127.0.0.1:${port}` });
    app = await serveWebApp(port, { VITE_API_URL: api.url, VITE_TRUSTED_DOCUMENTS: 'false' });
    admin = await adminAccount(api);
    const { data } = await api.gql(`mutation($input: LogInInput!) { logIn(input: $input) { token } }`, { input: admin });
    for (const product of CATALOG) {
      const res = await api.gql(
        `mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }`,
        { input: { sku: `WEB-${ids.size + 1}`, ...product } },
        data.logIn.token,
      );
      ids.set(product.name, res.data.createProduct.id);
    }
  });
  afterAll(async () => {
    await app?.close();
    await api?.close();
  });

  it('signs up, searches, fills a cart, sees an admin’s new price on reload, checks out and sees the order, logs out', async (context) => {
    if (!browser) context.skip(SKIP_MESSAGE);
    const apiOrigin = new URL(api.url).origin;
    const shopperContext = await browser!.newContext({ viewport: { width: 1200, height: 800 }, deviceScaleFactor: 1 });
    const adminContext = await browser!.newContext({ viewport: { width: 1200, height: 800 }, deviceScaleFactor: 1 });
    try {
      const page = await shopperContext.newPage();
      const seen = watch(page, [app.origin, apiOrigin], api.url);

      // The catalog, anonymous: 16 products, pages of 12, forwards and back.
      await page.goto(`${app.origin}/`);
      await eventually(() => text(page, 'total-count')).toBe('16 products · page 1 of 2');
      expect(await productNames(page)).toEqual(CATALOG.slice(0, 12).map((p) => p.name));
      await page.getByRole('button', { name: 'Next →' }).click();
      await eventually(() => text(page, 'total-count')).toBe('16 products · page 2 of 2');
      await eventually(() => productNames(page)).toEqual(CATALOG.slice(12).map((p) => p.name));
      await page.getByRole('button', { name: '← Previous' }).click();
      await eventually(() => productNames(page)).toEqual(CATALOG.slice(0, 12).map((p) => p.name));
      await screenshot(page, 'web-catalog.png');

      // Sign up (the header then shows the name and an empty cart).
      await page.getByRole('link', { name: 'Sign up' }).click();
      // On the sign-up page (the catalog's sort select has a "Name: A to Z" option a loose label match could find).
      await eventually(() => textOf(page.getByRole('heading', { level: 1 }))).toBe('Create an account');
      await page.getByLabel('Name', { exact: true }).fill('Sam Shopper');
      await page.getByLabel('Email').fill(`sam-${Date.now()}@example.com`);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign up' }).click();
      await eventually(() => text(page, 'viewer-name')).toBe('Sam Shopper');
      expect(await text(page, 'cart-count')).toBe('0');

      // Search and sort: three teas, most expensive first.
      await page.getByLabel('Search').fill('tea');
      await page.getByLabel('Search').press('Enter');
      await eventually(() => text(page, 'total-count')).toBe('3 products matching “tea”');
      await page.getByLabel('Sort by').selectOption('PRICE_DESC');
      await eventually(() => productNames(page)).toEqual(['Cast Iron Pot', 'Sencha Green Tea', 'Assam Black Tea']);
      expect(new URL(page.url()).search).toBe('?q=tea&sort=PRICE_DESC');

      // Two products into the cart, then 3 units of the first.
      await page.getByRole('button', { name: 'Add Sencha Green Tea to cart' }).click();
      await eventually(() => text(page, 'cart-count')).toBe('1');
      await page.getByRole('button', { name: 'Add Assam Black Tea to cart' }).click();
      await eventually(() => text(page, 'cart-count')).toBe('2');
      await page.getByRole('link', { name: /^Cart/ }).click();
      await eventually(() => page.getByTestId('cart-line').count()).toBe(2);
      await page.getByLabel('Quantity of Sencha Green Tea').fill('3');
      await page.getByLabel('Quantity of Sencha Green Tea').press('Enter');
      await eventually(() => text(page, 'cart-total')).toBe('$32.00'); // 3 × 8.50 + 6.50
      expect(await text(page, 'cart-count')).toBe('4');
      await screenshot(page, 'web-cart.png');

      // An admin, in another browser context, logs in and changes the tea's price.
      const adminPage = await adminContext.newPage();
      const adminSeen = watch(adminPage, [app.origin, apiOrigin], api.url);
      await adminPage.goto(`${app.origin}/login?next=${encodeURIComponent(`/products/${ids.get('Sencha Green Tea')!}`)}`);
      await adminPage.getByLabel('Email').fill(admin.email);
      await adminPage.getByLabel('Password').fill(admin.password);
      await adminPage.getByRole('button', { name: 'Log in' }).click();
      await eventually(() => textOf(adminPage.getByRole('heading', { level: 1 }))).toBe('Sencha Green Tea');
      await adminPage.getByLabel('New price').fill('9.50');
      await adminPage.getByRole('button', { name: 'Change price' }).click();
      await eventually(() => textOf(adminPage.getByRole('status'))).toBe('Price changed to $9.50.');
      expect(await text(adminPage, 'product-price')).toBe('$9.50');

      // The shopper reloads the cart: the new price, the new total (no cache on the way says otherwise).
      await page.reload();
      await eventually(() => page.getByTestId('line-price').allInnerTexts()).toEqual(['$9.50', '$6.50']);
      expect(await page.getByTestId('line-subtotal').allInnerTexts()).toEqual(['$28.50', '$6.50']);
      expect(await text(page, 'cart-total')).toBe('$35.00');

      // Check out: the order page, then the list of orders.
      await page.getByRole('link', { name: 'Check out' }).click();
      await eventually(() => text(page, 'checkout-total')).toBe('$35.00');
      await page.getByRole('button', { name: 'Place order' }).click();
      await eventually(() => textOf(page.getByRole('status'))).toBe('Thank you: your order is placed.');
      expect(await page.getByTestId('order-line').allInnerTexts()).toEqual([
        expect.stringMatching(/^Sencha Green Tea\s+WEB-1\s+\$9\.50\s+3\s+\$28\.50$/),
        expect.stringMatching(/^Assam Black Tea\s+WEB-2\s+\$6\.50\s+1\s+\$6\.50$/),
      ]);
      expect(await text(page, 'order-total')).toBe('$35.00');
      await eventually(() => text(page, 'cart-count')).toBe('0');
      await screenshot(page, 'web-order.png');
      await page.getByRole('link', { name: 'Orders', exact: true }).click();
      await eventually(() => page.getByTestId('order-row').allInnerTexts()).toEqual([
        expect.stringMatching(/3 × Sencha Green Tea, 1 × Assam Black Tea\s+Placed\s+\$35\.00$/),
      ]);

      // The stock went down by what was ordered, as the product page shows it.
      await page.goto(`${app.origin}/products/${ids.get('Sencha Green Tea')!}`);
      await eventually(() => textOf(page.locator('.facts dd').nth(1))).toBe('17');

      // Log out: the token is gone from the page and refused by the API from now on.
      const token = await storedToken(page);
      expect(token).toBeTruthy();
      expect((await api.gql(`{ me { name } }`, {}, token!)).data.me).toEqual({ name: 'Sam Shopper' });
      await page.getByRole('button', { name: 'Log out' }).click();
      await page.getByRole('link', { name: 'Log in' }).waitFor();
      expect(await storedToken(page)).toBeNull();
      expect((await api.gql(`{ me { name } }`, {}, token!)).data.me).toBeNull();
      const refused = await api.gql(`mutation($id: ID!) { addToCart(input: { productId: $id }) { itemCount } }`, { id: ids.get('Honey Jar') }, token!);
      expect(refused.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

      // Every call went to the API (POST, with its document) or the app's own origin; nothing broke.
      for (const s of [seen, adminSeen]) {
        expect(s.foreign).toEqual([]);
        expect(s.problems).toEqual([]);
        expect(s.graphql.length).toBeGreaterThan(0);
        expect(s.graphql.filter((r) => r.method !== 'POST' || typeof r.body?.query !== 'string')).toEqual([]);
      }
    } finally {
      await shopperContext.close();
      await adminContext.close();
    }
  });

  it('shows an API error’s message, and a session the API ended sends the shopper to log in', async (context) => {
    if (!browser) context.skip(SKIP_MESSAGE);
    const browserContext = await browser!.newContext({ viewport: { width: 1200, height: 800 } });
    try {
      const page = await browserContext.newPage();
      const { token } = await api.signUp('Ola Other');
      // Signed in as the app keeps it (the token in localStorage), once: a reload must not put it back.
      await browserContext.addInitScript({
        content: `if (!sessionStorage.getItem('seeded')) { localStorage.setItem('storefront.token', ${JSON.stringify(token)}); sessionStorage.setItem('seeded', '1'); }`,
      });

      // More than the stock: the API's OUT_OF_STOCK message, as it wrote it; then what there is.
      await page.goto(`${app.origin}/products/${ids.get('Coffee Grinder')!}`);
      await page.getByLabel('Quantity').fill('4');
      await page.getByRole('button', { name: 'Add Coffee Grinder to cart' }).click();
      await eventually(() => textOf(page.getByRole('alert'))).toBe('Only 3 units of WEB-8 in stock, 4 wanted');
      await page.getByLabel('Quantity').fill('2');
      await page.getByRole('button', { name: 'Add Coffee Grinder to cart' }).click();
      await eventually(() => text(page, 'cart-count')).toBe('2');
      await eventually(() => page.getByRole('alert').count()).toBe(0);

      // Too many in the cart: the API's BAD_USER_INPUT message, and nothing changed.
      await page.getByRole('link', { name: /^Cart/ }).click();
      await page.getByLabel('Quantity of Coffee Grinder').fill('1000');
      await page.getByLabel('Quantity of Coffee Grinder').press('Enter');
      await eventually(() => textOf(page.getByRole('alert'))).toBe('quantity must be an integer from 1 to 999, got 1000');
      expect(await text(page, 'cart-total')).toBe('$118.00');

      // A wrong password on the log-in form while signed in is the form's error, not the end of the session.
      await page.goto(`${app.origin}/login?next=/cart`);
      await page.getByLabel('Email').fill('nobody-here@example.com');
      await page.getByLabel('Password').fill('not-the-password');
      await page.getByRole('button', { name: 'Log in' }).click();
      await eventually(() => page.getByRole('alert').count()).toBe(1);
      expect(await storedToken(page)).toBe(token);
      await page.goto(`${app.origin}/cart`);
      await eventually(() => text(page, 'cart-total')).toBe('$118.00');

      // The session ends elsewhere (logOut with the same token): the next operation that needs it answers UNAUTHENTICATED.
      expect((await api.gql(`mutation { logOut }`, {}, token)).data).toEqual({ logOut: true });
      await page.getByLabel('Quantity of Coffee Grinder').fill('1');
      await page.getByLabel('Quantity of Coffee Grinder').press('Enter');
      await eventually(() => textOf(page.getByRole('heading', { level: 1 }))).toBe('Log in');
      expect(await textOf(page.getByRole('status'))).toBe('Your session has ended: log in again.');
      expect(await storedToken(page)).toBeNull();
      expect(new URL(page.url()).searchParams.get('next')).toBe('/cart');
    } finally {
      await browserContext.close();
    }
  });
});

describe('the web storefront with trusted documents', () => {
  let api: TestApi;
  let app: WebApp;

  beforeAll(async () => {
    if (!browser) return;
    const port = await freePort();
    api = await startTestApi({ CORS_ORIGINS: `http://127.0.0.1:${port}`, TRUSTED_DOCUMENTS: MANIFEST });
    app = await serveWebApp(port, { VITE_API_URL: api.url, VITE_TRUSTED_DOCUMENTS: 'true' });
  });
  afterAll(async () => {
    await app?.close();
    await api?.close();
  });

  it('sends hashes only, which the API runs; a document of its own is refused', async (context) => {
    if (!browser) context.skip(SKIP_MESSAGE);
    const manifest = JSON.parse(readFileSync(MANIFEST, 'utf8')) as Record<string, string>;
    // Products are made by the test's own client, which is not the app: straight into the database, through the write-through.
    for (const [i, name] of ['Rooibos Tea', 'Mint Tea'].entries()) {
      await api.services.db.product.create({ data: { sku: `TD-${i}`, name, description: '', priceCents: 500 + i * 100, stock: 10 } });
    }
    await api.services.outbox.flush();

    const browserContext = await browser!.newContext({ viewport: { width: 1200, height: 800 } });
    try {
      const page = await browserContext.newPage();
      const seen = watch(page, [app.origin, new URL(api.url).origin], api.url);
      await page.goto(`${app.origin}/signup`);
      await eventually(() => textOf(page.getByRole('heading', { level: 1 }))).toBe('Create an account');
      await page.getByLabel('Name', { exact: true }).fill('Tess Trusted');
      await page.getByLabel('Email').fill(`tess-${Date.now()}@example.com`);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign up' }).click();
      await eventually(() => text(page, 'viewer-name')).toBe('Tess Trusted');
      await page.getByLabel('Search').fill('mint');
      await page.getByLabel('Search').press('Enter');
      await eventually(() => productNames(page)).toEqual(['Mint Tea']);
      await page.getByRole('button', { name: 'Add Mint Tea to cart' }).click();
      await eventually(() => text(page, 'cart-count')).toBe('1');
      await page.getByRole('link', { name: /^Cart/ }).click();
      await eventually(() => text(page, 'cart-total')).toBe('$6.00');

      // Every request named a document of the manifest by its hash, and carried no document text.
      expect(seen.graphql.length).toBeGreaterThanOrEqual(5);
      for (const { method, body } of seen.graphql) {
        expect(method).toBe('POST');
        expect(body).not.toHaveProperty('query');
        const hash = (body?.extensions as { persistedQuery?: { sha256Hash?: string } } | undefined)?.persistedQuery?.sha256Hash;
        expect(manifest).toHaveProperty([hash!]);
      }
      expect(seen.problems).toEqual([]);

      // A document that is not in the app, sent from the app's origin: readable (CORS), and refused.
      const answer = await page.evaluate(async (url) => {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: '{ products { totalCount } }' }),
        });
        return { status: response.status, body: (await response.json()) as { errors?: { extensions?: { code?: string } }[] } };
      }, api.url);
      expect(answer.status).toBe(400);
      expect(answer.body.errors?.[0]?.extensions?.code).toBe('TRUSTED_DOCUMENT_REQUIRED');
    } finally {
      await browserContext.close();
    }
  });
});
