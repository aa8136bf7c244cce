/**
 * Redis with a password and over TLS, and every key under the namespace.
 * Each test starts a redis-server of its own: one with `requirepass`, one
 * TLS-only (`--tls-port`, with a CA and certificate made here by openssl,
 * trusted through NODE_EXTRA_CA_CERTS by the real entry point).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyBuilder } from 'prisma-write-through';
import { loadConfig } from '../src/config.js';
import { createRedisClient } from '../src/db/redis.js';
import { startServer } from '../src/server/http.js';
import { createServices } from '../src/services.js';
import { idOf, startTestApi, type TestApi } from './support/api.js';
import { createTestDatabase } from './support/databases.js';
import { freePort } from './support/redis-server.js';

const PASSWORD = 'redis-pass-W7q2!x';

/** Starts redis-server with extra arguments; resolves once it accepts connections. */
async function redisServer(args: string[]): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...args], { stdio: 'pipe' });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output.slice(-500)}`)));
  });
  return child;
}

async function stop(child: ChildProcess | undefined) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

describe('Redis with a password (redis://:password@host:port)', () => {
  let redis: ChildProcess;
  let port: number;
  let api: TestApi;
  beforeAll(async () => {
    port = await freePort();
    redis = await redisServer(['--port', String(port), '--requirepass', PASSWORD]);
    api = await startTestApi({ REDIS_URL: `redis://:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}`, RATE_LIMITS: 'on' });
  });
  afterAll(async () => {
    await api?.close();
    await stop(redis);
  });

  it('works end to end, and every key it writes is under the namespace', async () => {
    const ready = await fetch(api.url.replace(/graphql$/, 'readyz'));
    expect(await ready.json()).toMatchObject({ checks: { redis: 'ok' } });
    const customer = await api.signUp();
    const product = await api.product();
    expect((await api.gql(`mutation($p: ID!) { addToCart(input: { productId: $p }) { itemCount } }`, { p: product.globalId }, customer.token)).data).toEqual({
      addToCart: { itemCount: 1 },
    });
    expect((await api.gql(`mutation { checkout { status } }`, {}, customer.token)).data).toEqual({ checkout: { status: 'PLACED' } });
    await api.gql(`mutation($input: LogInInput!) { logIn(input: $input) { token } }`, { input: { email: 'nobody@example.com', password: 'wrong password' } });
    expect((await api.cached('Product', product.id))?.value).toMatchObject({ id: product.id, stock: 9 });

    const inspector = new Redis({ port, host: '127.0.0.1', password: PASSWORD });
    try {
      const keys = await inspector.keys('*');
      expect(keys.length).toBeGreaterThan(3);
      expect(keys.filter((key) => !key.startsWith(api.namespace))).toEqual([]);
      // Entities (and their fill leases, for 500 ms after a miss), and the rate limiter's counters, nothing else.
      const entity = '(User|Product|Cart):\\d+';
      const fill = `#fill\\{${api.namespace}${entity}\\}`;
      for (const key of keys) expect(key.slice(api.namespace.length)).toMatch(new RegExp(`^(${entity}(${fill})?|rl:\\w+:[A-Za-z0-9_-]{32})$`));
      expect(keys).toContain(`${api.namespace}User:${customer.id}`);
    } finally {
      inspector.disconnect();
    }
  });

  it('the server really requires the password', async () => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    const reply = await new Promise<string>((resolve, reject) => {
      socket.once('data', (data) => resolve(data.toString()));
      socket.once('error', reject);
      socket.write('GET anything\r\n');
    });
    socket.destroy();
    expect(reply).toMatch(/^-NOAUTH/);
  });

  it('with a wrong password: reads still answer from PostgreSQL, readiness says why, and the password is never shown', async () => {
    const database = await createTestDatabase();
    const config = loadConfig({
      ...process.env,
      NODE_ENV: 'test',
      DATABASE_URL: database.url,
      REDIS_URL: `redis://:not-the-password@127.0.0.1:${port}`,
      CACHE_NAMESPACE: 'wrongpass:',
    });
    const services = createServices(config);
    const server = await startServer(services, { port: 0 });
    try {
      const readyz = await fetch(`${server.url}/readyz`);
      const text = await readyz.text();
      expect(readyz.status).toBe(503);
      expect(JSON.parse(text).checks.redis).toMatch(/^unavailable: /);
      expect(text).not.toContain('not-the-password');
      const res = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ products(first: 1) { edges { cursor } } }' }),
      });
      expect(await res.json()).toEqual({ data: { products: { edges: [] } } });
    } finally {
      await server.stop();
      await services.close();
      await database.drop();
    }
  });
});

describe('cache keys', () => {
  it('are built only from validated ids, under a namespace that is validated too', () => {
    const keyOf = createKeyBuilder('shop:');
    expect(keyOf('Product', 42)).toBe('shop:Product:42');
    for (const id of [0, -1, 1.5, Number.NaN, 2 ** 53, '', '1 FLUSHALL', '*', 'a:b', '../x', 'x'.repeat(65), '\r\nDEL x']) {
      expect(() => keyOf('Product', id as never), JSON.stringify(id)).toThrow(/cache key id must be/);
    }
    expect(() => loadConfig({ CACHE_NAMESPACE: 'sf *' })).toThrow(/CACHE_NAMESPACE may only hold letters, digits and _.:-/);
    expect(loadConfig({ CACHE_NAMESPACE: 'shop.prod:' }).cacheNamespace).toBe('shop.prod:');
  });
});

describe('Redis over TLS (rediss://)', () => {
  it('passes a rediss:// URL to ioredis as TLS with its credentials', () => {
    const client = createRedisClient({ redisUrl: 'rediss://app-user:s3cret@redis.example.internal:6380/2' });
    client.on('error', () => undefined);
    try {
      expect(client.options).toMatchObject({ tls: {}, username: 'app-user', password: 's3cret', host: 'redis.example.internal', port: 6380, db: 2 });
    } finally {
      client.disconnect();
    }
  });

  let dir: string | undefined;
  /** False when openssl or a TLS-enabled redis-server is missing: the two tests below then skip, and say why. */
  let tlsAvailable = true;
  let redis: ChildProcess | undefined;
  let port = 0;
  let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'sf-tls-'));
    const file = (name: string) => path.join(dir!, name);
    try {
      execFileSync(
        'openssl',
        ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', file('ca.key'), '-out', file('ca.crt'), '-days', '1', '-subj', '/CN=storefront test CA'],
        { stdio: 'ignore' },
      );
      execFileSync('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', '/CN=127.0.0.1'], {
        stdio: 'ignore',
      });
      execFileSync('sh', ['-c', `printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > '${file('ext.cnf')}'`]);
      execFileSync(
        'openssl',
        [
          'x509',
          '-req',
          '-in',
          file('server.csr'),
          '-CA',
          file('ca.crt'),
          '-CAkey',
          file('ca.key'),
          '-CAcreateserial',
          '-out',
          file('server.crt'),
          '-days',
          '1',
          '-extfile',
          file('ext.cnf'),
        ],
        { stdio: 'ignore' },
      );
      port = await freePort();
      redis = await redisServer([
        '--port',
        '0',
        '--tls-port',
        String(port),
        '--tls-cert-file',
        file('server.crt'),
        '--tls-key-file',
        file('server.key'),
        '--tls-ca-cert-file',
        file('ca.crt'),
        '--tls-auth-clients',
        'no',
        '--requirepass',
        PASSWORD,
      ]);
      database = await createTestDatabase();
    } catch (error) {
      tlsAvailable = false;
      console.warn(`TLS test skipped: openssl or a TLS-enabled redis-server is not available here (${String(error).slice(0, 200)})`);
    }
  });
  afterAll(async () => {
    await stop(redis);
    await database?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Runs the real entry point against the TLS Redis; returns its base URL once ready. */
  async function runMain(extraEnv: Record<string, string>) {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: {
        ...process.env,
        NODE_ENV: 'development',
        PORT: '0',
        LOG_LEVEL: 'info',
        VITEST: '',
        DATABASE_URL: database!.url,
        REDIS_URL: `rediss://:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}`,
        CACHE_NAMESPACE: 'tls:',
        ...extraEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    await expect.poll(() => output, { timeout: 30_000 }).toMatch(/ready at (http:\/\/[0-9.:]+)\/graphql/);
    const base = /ready at (http:\/\/[0-9.:]+)\/graphql/.exec(output)![1]!;
    return {
      base,
      output: () => output,
      async stop() {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      },
    };
  }

  it('works end to end over TLS with a verified certificate (NODE_EXTRA_CA_CERTS)', async (context) => {
    if (!tlsAvailable) context.skip();
    const main = await runMain({ NODE_EXTRA_CA_CERTS: path.join(dir!, 'ca.crt') });
    try {
      expect(await (await fetch(`${main.base}/readyz`)).json()).toMatchObject({ checks: { redis: 'ok' } });
      const res = await fetch(`${main.base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: `mutation { signUp(input: { email: "tls@example.com", name: "Tls", password: "correct horse battery" }) { user { id } } }`,
        }),
      });
      const userId = idOf(((await res.json()) as { data: { signUp: { user: { id: string } } } }).data.signUp.user.id);
      const inspector = new Redis({ port, host: '127.0.0.1', password: PASSWORD, tls: { ca: readFileSync(path.join(dir!, 'ca.crt')) } });
      try {
        expect(await inspector.get(`tls:User:${userId}`)).toMatch(/^1\|\{.*"email":"tls@example.com"/);
        expect((await inspector.keys('*')).every((key) => key.startsWith('tls:'))).toBe(true);
      } finally {
        inspector.disconnect();
      }
      expect(main.output()).not.toContain(PASSWORD);
    } finally {
      await main.stop();
    }
  }, 60_000);

  it('refuses a certificate it cannot verify: without the CA, Redis is unavailable (not silently unencrypted)', async (context) => {
    if (!tlsAvailable) context.skip();
    const main = await runMain({ NODE_EXTRA_CA_CERTS: '' });
    try {
      const readyz = (await (await fetch(`${main.base}/readyz`)).json()) as { checks: { redis: string } };
      expect(readyz.checks.redis).toMatch(/^unavailable/);
      expect(main.output()).not.toContain(PASSWORD);
    } finally {
      await main.stop();
    }
  }, 60_000);
});
