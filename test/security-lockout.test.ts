/**
 * Nobody can lock another person out of their account: logIn counts failures
 * per client IP and per (client IP, account), as rate-limiter-flexible's
 * "login endpoint protection" recipe does, and per account only up to a
 * ceiling far above the per-IP limit. With the default limits: an attacker's
 * address is refused, the owner (from anywhere else) still logs in.
 * Client addresses come from X-Forwarded-For, believed from loopback
 * (TRUST_PROXY=loopback, as behind a local reverse proxy).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { startTestApi, type GraphQLResponse, type TestApi } from './support/api.js';

const PASSWORD = 'correct horse battery';
const LOG_IN = `mutation($input: LogInInput!) { logIn(input: $input) { token user { id } } }`;
const SIGN_UP = `mutation($input: SignUpInput!) { signUp(input: $input) { token user { id } } }`;

interface Sent extends GraphQLResponse {
  retryAfter: string | null;
}

async function send(url: string, query: string, variables: Record<string, unknown>, ip: string): Promise<Sent> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), ...((await response.json()) as object) };
}

const codeOf = (res: GraphQLResponse) => res.errors?.[0]?.extensions?.code;

describe('logIn limits with the defaults: one client cannot lock an account', () => {
  let api: TestApi;
  beforeAll(async () => {
    // Only the switch and the proxy: every limit at its default.
    api = await startTestApi({ RATE_LIMITS: 'on', TRUST_PROXY: 'loopback' });
  });
  afterAll(() => api?.close());

  let nextIp = 1;
  const ip = () => `203.0.113.${nextIp++}`;

  async function account() {
    const email = `owner-${randomBytes(4).toString('hex')}@example.com`;
    const res = await send(api.url, SIGN_UP, { input: { email, name: 'Owner', password: PASSWORD } }, ip());
    expect(res.errors).toBeUndefined();
    return { email, id: res.data.signUp.user.id as string };
  }
  const logIn = (email: string, password: string, from: string) => send(api.url, LOG_IN, { input: { email, password } }, from);

  it('an attacker failing 10 times from one IP gets TOO_MANY_REQUESTS there, while the owner logs in from another IP', async () => {
    const victim = await account();
    const attacker = ip();
    for (let i = 0; i < 10; i++) expect(codeOf(await logIn(victim.email, `guess number ${i}`, attacker))).toBe('UNAUTHENTICATED');
    const refused = await logIn(victim.email, 'guess number 10', attacker);
    expect(refused.status).toBe(429);
    expect(codeOf(refused)).toBe('TOO_MANY_REQUESTS');
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    expect(Number(refused.retryAfter)).toBeLessThanOrEqual(3600);

    const owner = await logIn(victim.email, PASSWORD, ip());
    expect(owner.errors).toBeUndefined();
    expect(owner.data.logIn.user.id).toBe(victim.id);
    // The owner's success resets the owner's count, not the attacker's: still refused, even with the password.
    expect(codeOf(await logIn(victim.email, PASSWORD, attacker))).toBe('TOO_MANY_REQUESTS');
  });

  it('the attacker is refused for that account only: from the same IP, its own account still logs in', async () => {
    const victim = await account();
    const mine = await account();
    const attacker = ip();
    for (let i = 0; i < 10; i++) await logIn(victim.email, `guess number ${i}`, attacker);
    expect(codeOf(await logIn(victim.email, 'one more', attacker))).toBe('TOO_MANY_REQUESTS');
    expect((await logIn(mine.email, PASSWORD, attacker)).errors).toBeUndefined();
  });

  it('attackers spread over several IPs (50 failures in all, each IP refused after 10) do not lock the owner out either', { timeout: 30_000 }, async () => {
    const victim = await account();
    for (let n = 0; n < 5; n++) {
      const attacker = ip();
      for (let i = 0; i < 10; i++) expect(codeOf(await logIn(victim.email, `guess ${n}-${i}`, attacker))).toBe('UNAUTHENTICATED');
      expect(codeOf(await logIn(victim.email, 'one more', attacker))).toBe('TOO_MANY_REQUESTS');
    }
    const owner = await logIn(victim.email, PASSWORD, ip());
    expect(owner.errors).toBeUndefined();
    expect(owner.data.logIn.user.id).toBe(victim.id);
  });

  it('the owner who mistypes from home is refused there after 10 in a row, and a success in between starts the count again', async () => {
    const owner = await account();
    const home = ip();
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 9; i++) expect(codeOf(await logIn(owner.email, 'typo typo', home))).toBe('UNAUTHENTICATED');
      expect((await logIn(owner.email, PASSWORD, home)).errors).toBeUndefined();
    }
    for (let i = 0; i < 10; i++) expect(codeOf(await logIn(owner.email, 'typo typo', home))).toBe('UNAUTHENTICATED');
    expect(codeOf(await logIn(owner.email, PASSWORD, home))).toBe('TOO_MANY_REQUESTS');
    expect((await logIn(owner.email, PASSWORD, ip())).errors).toBeUndefined();
  });
});

describe('logIn limits: the defaults', () => {
  it('follow the recipe: 100 failures a day per IP, 10 consecutive per IP and account, and a per-account ceiling 10 times the per-IP limit', () => {
    const limits = loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) }).rateLimits!;
    expect(limits.logInPerIp).toEqual({ points: 100, seconds: 86_400 });
    expect(limits.logInPerIpAndAccount).toEqual({ points: 10, seconds: 3600 });
    expect(limits.logInPerAccount.seconds).toBe(limits.logInPerIp.seconds);
    expect(limits.logInPerAccount.points).toBeGreaterThanOrEqual(10 * limits.logInPerIp.points);
  });

  it('RATE_LIMIT_LOGIN_PER_IP_AND_ACCOUNT is read and checked like the others', () => {
    expect(loadConfig({ NODE_ENV: 'test', RATE_LIMITS: 'on', RATE_LIMIT_LOGIN_PER_IP_AND_ACCOUNT: '3/60' }).rateLimits?.logInPerIpAndAccount).toEqual({
      points: 3,
      seconds: 60,
    });
    expect(() => loadConfig({ RATE_LIMIT_LOGIN_PER_IP_AND_ACCOUNT: 'three' })).toThrow(
      /RATE_LIMIT_LOGIN_PER_IP_AND_ACCOUNT must be <attempts>\/<seconds> like 10\/3600/,
    );
  });
});
