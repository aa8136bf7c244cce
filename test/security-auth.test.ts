/**
 * Sign-in and sign-up abuse: rate limits per IP and per account, kept in
 * Redis under the namespace (and in memory while Redis is down), with a clear
 * TOO_MANY_REQUESTS; passwords hashed with Argon2id and checked the same way
 * for accounts that exist and those that do not; and no secret (password,
 * hash, token, JWT secret) in Redis, in the logs or in any answer.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../src/auth/passwords.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { redactSecrets } from '../src/security/redact.js';
import { startServer } from '../src/server/http.js';
import { createServices } from '../src/services.js';
import { startTestApi, type GraphQLResponse, type TestApi } from './support/api.js';
import { createTestDatabase } from './support/databases.js';
import { freePort, startRedis, stopRedis } from './support/redis-server.js';

const PASSWORD = 'correct horse battery';
const LOG_IN = `mutation($input: LogInInput!) { logIn(input: $input) { token user { id } } }`;
const SIGN_UP = `mutation($input: SignUpInput!) { signUp(input: $input) { token user { id } } }`;
const email = (prefix = 'u') => `${prefix}-${randomBytes(4).toString('hex')}@example.com`;

interface Sent extends GraphQLResponse {
  retryAfter: string | null;
  text: string;
}

/** POSTs an operation with an optional token and X-Forwarded-For. */
async function send(url: string, query: string, variables: Record<string, unknown>, { token, ip }: { token?: string; ip?: string } = {}): Promise<Sent> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }), ...(ip && { 'x-forwarded-for': ip }) },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  return { status: response.status, retryAfter: response.headers.get('retry-after'), text, ...JSON.parse(text) };
}

const codeOf = (res: GraphQLResponse) => res.errors?.[0]?.extensions?.code;

function expectLimited(res: Sent, seconds: number) {
  expect(res.status).toBe(429);
  expect(codeOf(res)).toBe('TOO_MANY_REQUESTS');
  expect(res.errors).toHaveLength(1);
  expect(res.errors![0]!.message).toMatch(/^Too many attempts: try again in \d+ seconds$/);
  const retry = res.errors![0]!.extensions!.retryAfterSeconds as number;
  expect(retry).toBeGreaterThan(0);
  expect(retry).toBeLessThanOrEqual(seconds);
  expect(res.retryAfter).toBe(String(retry));
  expect(res.data ?? null).toBeNull();
}

describe('rate limits', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({
      RATE_LIMITS: 'on',
      TRUST_PROXY: 'loopback',
      RATE_LIMIT_LOGIN_PER_ACCOUNT: '3/60',
      RATE_LIMIT_LOGIN_PER_IP: '5/60',
      RATE_LIMIT_SIGNUP_PER_IP: '4/3600',
      RATE_LIMIT_SIGNUP_PER_ACCOUNT: '2/3600',
      RATE_LIMIT_EMAIL_CHANGE_PER_USER: '2/3600',
    });
  });
  afterAll(() => api?.close());

  /** A fresh client address per test (the per-IP limits would otherwise add up). */
  let nextIp = 1;
  const ip = () => `198.51.100.${nextIp++}`;

  async function account(from: string) {
    const address = email('acct');
    const res = await send(api.url, SIGN_UP, { input: { email: address, name: 'Acct', password: PASSWORD } }, { ip: from });
    expect(res.errors).toBeUndefined();
    return { email: address, token: res.data.signUp.token as string };
  }

  it('logIn: after 3 failures an account answers TOO_MANY_REQUESTS (429, Retry-After), even to the right password, without touching the database', async () => {
    const client = ip();
    const { email: address } = await account(client);
    for (let i = 0; i < 3; i++)
      expect(codeOf(await send(api.url, LOG_IN, { input: { email: address, password: 'wrong password' } }, { ip: ip() }))).toBe('UNAUTHENTICATED');
    const queries = api.services.dbStats.queries;
    expectLimited(await send(api.url, LOG_IN, { input: { email: address, password: PASSWORD } }, { ip: ip() }), 60);
    expect(api.services.dbStats.queries).toBe(queries);
    // The count is per account: another account from the same client is unaffected.
    const other = await account(client);
    expect((await send(api.url, LOG_IN, { input: { email: other.email, password: PASSWORD } }, { ip: client })).errors).toBeUndefined();
  });

  it('logIn: an email without an account is limited exactly like one with (the limit reveals nothing)', async () => {
    const existing = await account(ip());
    const nobody = email('nobody');
    const answers = async (address: string) => {
      const out = [];
      for (let i = 0; i < 4; i++) {
        const res = await send(api.url, LOG_IN, { input: { email: address, password: 'wrong password' } }, { ip: ip() });
        out.push({ status: res.status, code: codeOf(res), message: res.errors?.[0]?.message });
      }
      return out;
    };
    const a = await answers(existing.email);
    expect(a.map((x) => x.code)).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNAUTHENTICATED', 'TOO_MANY_REQUESTS']);
    expect(await answers(nobody)).toEqual(a);
  });

  it('logIn: a success resets its account count and does not count against the client', async () => {
    const client = ip();
    const { email: address } = await account(client);
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 2; i++)
        expect(codeOf(await send(api.url, LOG_IN, { input: { email: address, password: 'nope nope' } }, { ip: ip() }))).toBe('UNAUTHENTICATED');
      expect((await send(api.url, LOG_IN, { input: { email: address, password: PASSWORD } }, { ip: client })).errors).toBeUndefined();
    }
    // Six successes from one client never reached its limit of 5 failures.
    expect((await send(api.url, LOG_IN, { input: { email: address, password: PASSWORD } }, { ip: client })).errors).toBeUndefined();
  });

  it('logIn: one client guessing many accounts is stopped after 5 failures; other clients are not', async () => {
    const client = ip();
    for (let i = 0; i < 5; i++)
      expect(codeOf(await send(api.url, LOG_IN, { input: { email: email('spray'), password: 'guess' } }, { ip: client }))).toBe('UNAUTHENTICATED');
    expectLimited(await send(api.url, LOG_IN, { input: { email: email('spray'), password: 'guess' } }, { ip: client }), 60);
    expect(codeOf(await send(api.url, LOG_IN, { input: { email: email('spray'), password: 'guess' } }, { ip: ip() }))).toBe('UNAUTHENTICATED');
  });

  it('an IPv6 client is counted by its /64 network; IPv4-mapped addresses as IPv4', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await send(api.url, LOG_IN, { input: { email: email('v6'), password: 'guess' } }, { ip: `2001:db8:aa:1::${i + 1}` });
      expect(codeOf(res)).toBe('UNAUTHENTICATED');
    }
    expectLimited(await send(api.url, LOG_IN, { input: { email: email('v6'), password: 'guess' } }, { ip: '2001:db8:aa:1:ffff::9' }), 60);
    expect(codeOf(await send(api.url, LOG_IN, { input: { email: email('v6'), password: 'guess' } }, { ip: '2001:db8:aa:2::1' }))).toBe('UNAUTHENTICATED');
    const v4 = ip();
    for (let i = 0; i < 5; i++) await send(api.url, LOG_IN, { input: { email: email('v4'), password: 'guess' } }, { ip: i % 2 ? v4 : `::ffff:${v4}` });
    expectLimited(await send(api.url, LOG_IN, { input: { email: email('v4'), password: 'guess' } }, { ip: v4 }), 60);
  });

  it('signUp: at most 4 per client and 2 attempts per email', async () => {
    const client = ip();
    const address = email('twice');
    expect((await send(api.url, SIGN_UP, { input: { email: address, name: 'A', password: PASSWORD } }, { ip: client })).errors).toBeUndefined();
    expect(codeOf(await send(api.url, SIGN_UP, { input: { email: address, name: 'A', password: PASSWORD } }, { ip: ip() }))).toBe('CONFLICT');
    expectLimited(await send(api.url, SIGN_UP, { input: { email: address.toUpperCase(), name: 'A', password: PASSWORD } }, { ip: ip() }), 3600);
    for (let i = 0; i < 3; i++)
      expect((await send(api.url, SIGN_UP, { input: { email: email(), name: 'A', password: PASSWORD } }, { ip: client })).errors).toBeUndefined();
    const before = await api.snapshot();
    const limited = await send(api.url, SIGN_UP, { input: { email: email(), name: 'A', password: PASSWORD } }, { ip: client });
    expectLimited(limited, 3600);
    expect((await api.snapshot()).db).toEqual(before.db);
  });

  it('updateProfile: at most 2 email changes per user (trying emails would find the taken ones)', async () => {
    const user = await account(ip());
    const change = (address: string) =>
      send(api.url, `mutation($e: String) { updateProfile(input: { email: $e }) { email } }`, { e: address }, { token: user.token });
    expect((await change(email('moved'))).errors).toBeUndefined();
    expect(codeOf(await change(user.email.replace('acct', 'taken-maybe')))).toBeUndefined();
    expectLimited(await change(email('again')), 3600);
    // A name change is not limited.
    expect((await send(api.url, `mutation { updateProfile(input: { name: "Still Me" }) { name } }`, {}, { token: user.token })).errors).toBeUndefined();
  });

  it('without TRUST_PROXY, X-Forwarded-For is ignored: spoofing it does not get around the limit', async () => {
    const strict = await startTestApi({ RATE_LIMITS: 'on', RATE_LIMIT_LOGIN_PER_IP: '3/60' });
    try {
      for (let i = 0; i < 3; i++) await send(strict.url, LOG_IN, { input: { email: email(), password: 'guess' } }, { ip: `203.0.113.${i}` });
      expectLimited(await send(strict.url, LOG_IN, { input: { email: email(), password: 'guess' } }, { ip: '203.0.113.200' }), 60);
    } finally {
      await strict.close();
    }
  });

  it('with TRUST_PROXY as a hop count (1), the client is the address that hop saw: the last X-Forwarded-For entry', async () => {
    const behindOne = await startTestApi({ RATE_LIMITS: 'on', TRUST_PROXY: '1', RATE_LIMIT_LOGIN_PER_IP: '3/60' });
    try {
      // The entries before it are the client's own to write: changing them does not get around the limit.
      for (let i = 0; i < 3; i++) await send(behindOne.url, LOG_IN, { input: { email: email(), password: 'guess' } }, { ip: `203.0.113.${i}, 198.51.100.77` });
      expectLimited(await send(behindOne.url, LOG_IN, { input: { email: email(), password: 'guess' } }, { ip: '203.0.113.200, 198.51.100.77' }), 60);
      // Another client of the same proxy has a count of its own.
      expect(codeOf(await send(behindOne.url, LOG_IN, { input: { email: email(), password: 'guess' } }, { ip: '198.51.100.78' }))).not.toBe(
        'TOO_MANY_REQUESTS',
      );
    } finally {
      await behindOne.close();
    }
  });

  it('keeps its counters under the namespace, keyed by hashes: no email or address in Redis', async () => {
    const keys = await api.services.redis!.keys(`${api.namespace}rl:*`);
    expect(keys.length).toBeGreaterThan(5);
    for (const key of keys) {
      expect(key).toMatch(
        new RegExp(`^${api.namespace}rl:(logInPerIp|logInPerIpAndAccount|logInPerAccount|signUpPerIp|signUpPerAccount|emailChangePerUser):[A-Za-z0-9_-]{32}$`),
      );
      expect(Number.isInteger(Number(await api.services.redis!.get(key)))).toBe(true);
      expect(await api.services.redis!.pttl(key)).toBeGreaterThan(0);
    }
    expect(keys.join(' ')).not.toMatch(/@|example|198\.51|2001/);
  });
});

describe('rate limits while Redis is down', () => {
  let api: TestApi;
  let redis: ChildProcess;
  beforeAll(async () => {
    const port = await freePort();
    redis = await startRedis(port);
    api = await startTestApi({ REDIS_URL: `redis://127.0.0.1:${port}`, RATE_LIMITS: 'on', RATE_LIMIT_LOGIN_PER_ACCOUNT: '2/60' });
  });
  afterAll(async () => {
    await api?.close();
    if (redis) await stopRedis(redis);
  });

  it('keep counting in memory: logIn still answers, and is still limited', async () => {
    const { token } = await api.signUp();
    expect(token).toBeTruthy();
    await stopRedis(redis);
    const address = email('offline');
    for (let i = 0; i < 2; i++) expect(codeOf(await api.gql(LOG_IN, { input: { email: address, password: 'guess guess' } }))).toBe('UNAUTHENTICATED');
    const res = await api.gql(LOG_IN, { input: { email: address, password: 'guess guess' } });
    expect(res.status).toBe(429);
    expect(codeOf(res)).toBe('TOO_MANY_REQUESTS');
  });
});

describe('passwords', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api?.close());

  it('are stored as Argon2id hashes with at least OWASP parameters (19 MiB, 2 passes), each with its own salt', async () => {
    const a = await api.signUp();
    const b = await api.signUp();
    const rows = await api.services.rawDb.user.findMany({ where: { id: { in: [a.id, b.id] } }, select: { passwordHash: true } });
    for (const { passwordHash } of rows) expect(passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    // Same password, different salts, different hashes.
    expect(rows[0]!.passwordHash).not.toBe(rows[1]!.passwordHash);
  });

  it('give one answer for every failure: wrong password, unknown email, overlong password, not an email', async () => {
    const user = await api.signUp();
    const address = (await api.services.rawDb.user.findUniqueOrThrow({ where: { id: user.id } })).email;
    const answers = [];
    for (const input of [
      { email: address, password: 'wrong password' },
      { email: email('nobody'), password: PASSWORD },
      { email: address, password: `${PASSWORD}${'x'.repeat(200)}` },
      { email: 'not an email', password: PASSWORD },
      { email: '', password: '' },
    ]) {
      const res = await api.gql(LOG_IN, { input });
      answers.push({ status: res.status, errors: res.errors, data: res.data });
    }
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(answers[0]!.errors).toEqual([expect.objectContaining({ message: 'Email or password is incorrect', extensions: { code: 'UNAUTHENTICATED' } })]);
  });

  it('take as long to refuse an unknown email as a wrong password (both verify a hash)', async () => {
    const user = await api.signUp();
    const address = (await api.services.rawDb.user.findUniqueOrThrow({ where: { id: user.id } })).email;
    const hash = (await api.services.rawDb.user.findUniqueOrThrow({ where: { id: user.id } })).passwordHash;
    const time = async (run: () => Promise<unknown>) => {
      const t = performance.now();
      await run();
      return performance.now() - t;
    };
    const samples = { wrong: [] as number[], unknown: [] as number[], baseline: [] as number[], verify: [] as number[] };
    for (let i = 0; i < 31; i++) {
      const wrong = async () => samples.wrong.push(await time(() => api.gql(LOG_IN, { input: { email: address, password: 'wrong password' } })));
      const unknown = async () => samples.unknown.push(await time(() => api.gql(LOG_IN, { input: { email: email('nobody'), password: 'wrong password' } })));
      // Alternate which goes first, so neither always runs on a warmer machine.
      if (i % 2) await wrong().then(unknown);
      else await unknown().then(wrong);
      samples.baseline.push(await time(() => api.gql(`{ me { id } }`, {}, user.token)));
      samples.verify.push(await time(() => verifyPassword(hash, 'wrong password')));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const [wrong, unknown, baseline, verify] = [median(samples.wrong), median(samples.unknown), median(samples.baseline), median(samples.verify)];
    // Both refusals include a full hash verification on top of an ordinary request...
    expect(unknown - baseline, JSON.stringify({ wrong, unknown, baseline, verify })).toBeGreaterThan(verify * 0.5);
    expect(wrong - baseline, JSON.stringify({ wrong, unknown, baseline, verify })).toBeGreaterThan(verify * 0.5);
    // ...and take the same time, within noise (without the decoy, an unknown email would take about half).
    expect(unknown / wrong).toBeGreaterThan(0.6);
    expect(unknown / wrong).toBeLessThan(1.65);
  });
});

describe('secrets', () => {
  it('never reach Redis, the logs or an answer: hashes, tokens, passwords, the JWT secret', async () => {
    const jwtSecret = `jwt-secret-${randomBytes(16).toString('hex')}`;
    const database = await createTestDatabase();
    const namespace = `t${randomBytes(4).toString('hex')}:`;
    const lines: string[] = [];
    const config = loadConfig({
      ...process.env,
      NODE_ENV: 'test',
      REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
      DATABASE_URL: database.url,
      CACHE_NAMESPACE: namespace,
      JWT_SECRET: jwtSecret,
      RATE_LIMITS: 'on',
    });
    const services = createServices(config, createLogger('trace', { write: (line: string) => void lines.push(line) }));
    // As the entry point does: serve once the cache epoch is checked (until then writes are refused
    // with CACHE_UNAVAILABLE; on a busy machine the first sign-up came first).
    await services.ready();
    const server = await startServer(services, { port: 0 });
    const url = `${server.url}/graphql`;
    const answers: string[] = [];
    const call = async (query: string, variables: Record<string, unknown> = {}, token?: string) => {
      const res = await send(url, query, variables, { token });
      answers.push(res.text);
      return res;
    };
    try {
      const address = email('secret');
      const password = `pw-${randomBytes(8).toString('hex')}`;
      const signedUp = await call(SIGN_UP, { input: { email: address, name: 'Secretive', password } });
      const token: string = signedUp.data.signUp.token;
      const loggedIn = await call(LOG_IN, { input: { email: address, password } });
      const tokens = [token, loggedIn.data.logIn.token as string];
      await call(LOG_IN, { input: { email: address, password: 'wrong password' } });
      await call(`mutation($input: SignUpInput!) { signUp(input: $input) { token } }`, { input: { email: address, password } }); // missing name: the error echoes the input
      await call(`mutation { updateProfile(input: { name: "Still Secretive" }) { name } }`, {}, token);
      await call(`{ me { id email name cart { id } } }`, {}, token);
      await call(`{ me { id } }`, {}, `${token}tampered`);
      // An unexpected failure: the error is logged (and masked in the answer).
      await services.rawDb.$executeRawUnsafe('ALTER TABLE "Order" RENAME TO "OrderGone"');
      const failed = await call(`{ me { orders { edges { node { id } } } } }`, {}, token);
      expect(failed.errors?.[0]).toEqual({ message: 'Internal server error', path: ['me', 'orders'], extensions: { code: 'INTERNAL_SERVER_ERROR' } });
      await services.rawDb.$executeRawUnsafe('ALTER TABLE "OrderGone" RENAME TO "Order"');
      // The logger censors secret fields and scrubs secrets out of any string, error stacks included.
      const { passwordHash } = await services.rawDb.user.findUniqueOrThrow({ where: { email: address } });
      const error = new Error(`failed for ${passwordHash} with ${tokens[0]} at redis://:${password}@cache:6379 using ${jwtSecret}`);
      services.log.error(
        { err: error, user: { password, passwordHash }, token: tokens[0], variables: { input: { password } } },
        `boom ${tokens[0]} ${jwtSecret}`,
      );

      expect(lines.length).toBeGreaterThan(1);
      expect(lines.join('\n')).toMatch(/unexpected error in a resolver/);
      let cursor = '0';
      const redisText: string[] = [];
      do {
        const [next, keys] = await services.redis!.scan(cursor, 'MATCH', `${namespace}*`, 'COUNT', 500);
        cursor = next;
        for (const key of keys)
          redisText.push(
            key,
            (await services.redis!.type(key)) === 'string' ? ((await services.redis!.get(key)) ?? '') : JSON.stringify(await services.redis!.hgetall(key)),
          );
      } while (cursor !== '0');
      expect(redisText.length).toBeGreaterThan(0);

      for (const [where, text] of [
        ['Redis', redisText.join('\n')],
        ['the logs', lines.join('\n')],
        ['the answers', answers.join('\n').replace(new RegExp(tokens.join('|'), 'g'), '')], // the tokens it issued are the point of those answers
      ] as const) {
        for (const secret of [passwordHash, password, jwtSecret, ...tokens, '$argon2id$'])
          expect(text.includes(secret), `${secret.slice(0, 12)}… in ${where}`).toBe(false);
      }
      expect(lines.join('\n')).toMatch(/\[redacted password hash\].*\[redacted token\].*redis:\/\/:\[redacted\]@cache/);
    } finally {
      await server.stop();
      await services.close();
      await database.drop();
    }
  });

  it('the scrubber removes hashes, tokens, URL credentials and registered secrets, and leaves the rest', () => {
    expect(redactSecrets('hash $argon2id$v=19$m=19456,t=2,p=1$abc$def, then')).toBe('hash [redacted password hash], then');
    expect(redactSecrets('Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLXNpZw done')).toBe('Bearer [redacted token] done');
    expect(redactSecrets('connect rediss://default:s3cret@redis.internal:6380/0')).toBe('connect rediss://default:[redacted]@redis.internal:6380/0');
    expect(redactSecrets('postgresql://postgres@127.0.0.1:5432/db ok')).toBe('postgresql://postgres@127.0.0.1:5432/db ok');
  });
});
