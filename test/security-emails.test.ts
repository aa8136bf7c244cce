/**
 * Look-alike emails are one account: every email that enters (signUp, logIn,
 * updateProfile, the rate limits' keys) goes through one normalization
 * (`email` in src/graphql/validate.ts: NFKC, lower case, the domain's IDNA
 * ASCII form, no trailing dot), and what cannot be normalized is refused
 * with BAD_USER_INPUT saying what is wrong.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, SafeError } from '../src/graphql/errors.js';
import { email, emailOrNull } from '../src/graphql/validate.js';
import { startTestApi, type GraphQLResponse, type TestApi } from './support/api.js';

const PASSWORD = 'correct horse battery';
const SIGN_UP = `mutation($input: SignUpInput!) { signUp(input: $input) { token user { id email } } }`;
const LOG_IN = `mutation($input: LogInInput!) { logIn(input: $input) { token user { id email } } }`;
const UPDATE_EMAIL = `mutation($e: String) { updateProfile(input: { email: $e }) { id email version } }`;

const codeOf = (res: GraphQLResponse) => res.errors?.[0]?.extensions?.code;
const tag = () => randomBytes(4).toString('hex');

/**
 * Look-alike spellings of `<name>@example.com`, one per kind: fullwidth letters (NFKC), a trailing
 * dot, upper case, a fullwidth `@`, an ideographic full stop in the domain.
 */
const lookAlikes = (name: string) => ({
  'fullwidth letter in the domain': `${name}@exａmple.com`,
  'fullwidth letters in the name': `${name.replace(/[a-z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0))}@example.com`,
  'trailing dot of the domain': `${name}@example.com.`,
  'upper case': `${name.toUpperCase()}@EXAMPLE.COM`,
  'fullwidth @': `${name}＠example.com`,
  'ideographic full stop in the domain': `${name}@example。com`,
  'all at once, with spaces around': `  ${name.toUpperCase()}＠ＥＸＡＭＰＬＥ.com.  `,
});

describe('email(): the one form of an address', () => {
  it.each([
    ['dup@exａmple.com', 'dup@example.com'],
    ['dup@example.com.', 'dup@example.com'],
    ['DUP@Example.COM', 'dup@example.com'],
    ['dup＠example.com', 'dup@example.com'],
    ['ｄｕｐ@example.com', 'dup@example.com'],
    ['dup@example。com', 'dup@example.com'],
    ['dup@bücher.example', 'dup@xn--bcher-kva.example'],
    ['dup@BÜCHER.example.', 'dup@xn--bcher-kva.example'],
    ['dup@xn--bcher-kva.example', 'dup@xn--bcher-kva.example'],
    ['dup@XN--BCHER-KVA.EXAMPLE', 'dup@xn--bcher-kva.example'],
    ['\u212Aelvin@example.com', 'kelvin@example.com'], // KELVIN SIGN
    ['Müller@example.com', 'müller@example.com'],
    ['Mu\u0308ller@example.com', 'müller@example.com'], // u + combining diaeresis
  ])('%s is %s', (input, expected) => {
    expect(email(input)).toBe(expected);
    expect(email(expected)).toBe(expected);
  });

  it.each([
    ['nothing', '   ', /^email must be an address like name@example.com, got nothing$/],
    ['a zero-width space in the name', 'd\u200Bup@example.com', /^email must not contain spaces, control or invisible characters$/],
    ['a soft hyphen in the domain', 'dup@ex\u00ADample.com', /^email must not contain spaces, control or invisible characters$/],
    ['a combining grapheme joiner', 'dup\u034F@example.com', /^email must not contain spaces, control or invisible characters$/],
    ['a variation selector', 'dup\uFE0F@example.com', /^email must not contain spaces, control or invisible characters$/],
    ['a Hangul filler', 'dup\u3164@example.com', /^email must not contain spaces, control or invisible characters$/],
    ['a Hangul choseong filler', 'dup\u115F@example.com', /^email must not contain spaces, control or invisible characters$/],
    ['a blank braille pattern', 'dup\u2800@example.com', /^email must not contain spaces, control or invisible characters$/],
    ['a quoted name', '"dup"@example.com', /^email must not quote its name/],
    ['a space', 'two words@example.com', /^email must not contain spaces/],
    ['two @', 'dup@@example.com', /^email must have exactly one "@" between a name and a domain, like name@example.com; got 2$/],
    ['no @', 'not-an-email', /^email must have exactly one "@".*got 0$/],
    ['no name', '@example.com', /^email must have a name before the "@"/],
    ['no domain', 'dup@', /^email must have a domain after the "@"/],
    ['a punycode label IDNA refuses', 'dup@xn--a.com', /^email must have a valid domain name after the "@" \(IDNA/],
    ['an address literal', 'dup@[192.0.2.1]', /^email must have a valid domain name after the "@" \(IDNA/],
    ['a one-label domain', 'dup@localhost', /^email must have a domain of at least two labels separated by a dot/],
    ['an empty label', 'dup@example..com', /^email must have a domain of labels of letters, digits and hyphens/],
    ['an underscore', 'dup@under_score.com', /^email must have a domain of labels of letters, digits and hyphens/],
    ['a label starting with a hyphen', 'dup@-example.com', /^email must have a domain of labels of letters, digits and hyphens/],
    ['an IP address as domain', 'dup@192.0.2.1', /^email must have a domain name after the "@", not an IP address$/],
    ['255+ characters', `${'x'.repeat(250)}@example.com`, /^email must be at most 254 characters \(its domain in ASCII\), got 262$/],
    [
      'a 64+ character label once in punycode',
      `dup@${'ü'.repeat(60)}.example`,
      /^email must have a domain of labels of letters, digits and hyphens.*1 to 63 characters/,
    ],
    ['2000 characters', 'x'.repeat(2000), /^email must be at most 254 characters, got 2000$/],
  ])('refuses %s, saying what is wrong', (_kind, input, message) => {
    let thrown: unknown;
    try {
      email(input);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SafeError);
    expect((thrown as SafeError).extensions).toEqual({ code: ErrorCode.BAD_USER_INPUT, field: 'email' });
    expect((thrown as SafeError).message).toMatch(message);
    expect(emailOrNull(input)).toBeNull();
  });
});

describe('look-alike emails through the API', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api?.close());

  const signUp = (address: string) => api.gql(SIGN_UP, { input: { email: address, name: 'Someone', password: PASSWORD } });

  it('signUp refuses every look-alike of a taken address with CONFLICT', async () => {
    const name = `dup-${tag()}`;
    expect((await signUp(`${name}@example.com`)).errors).toBeUndefined();
    for (const [kind, address] of Object.entries(lookAlikes(name))) {
      const res = await signUp(address);
      expect(codeOf(res), `${kind}: ${address} -> ${JSON.stringify(res.errors ?? res.data)}`).toBe('CONFLICT');
    }
  });

  it('an IDN domain and its punycode are one domain, either way round, stored in ASCII', async () => {
    const first = `idn-${tag()}`;
    const created = await signUp(`${first}@bücher.example`);
    expect(created.errors).toBeUndefined();
    expect(created.data.signUp.user.email).toBe(`${first}@xn--bcher-kva.example`);
    expect(codeOf(await signUp(`${first}@xn--bcher-kva.example`))).toBe('CONFLICT');
    expect(codeOf(await signUp(`${first}@BÜCHER.EXAMPLE.`))).toBe('CONFLICT');

    const second = `idn-${tag()}`;
    expect((await signUp(`${second}@xn--bcher-kva.example`)).errors).toBeUndefined();
    expect(codeOf(await signUp(`${second}@bücher.example`))).toBe('CONFLICT');
  });

  it('logIn with any look-alike form (or the IDN form) logs into the same account', async () => {
    const name = `same-${tag()}`;
    const created = await signUp(`${name}@example.com`);
    expect(created.errors).toBeUndefined();
    for (const [kind, address] of Object.entries(lookAlikes(name))) {
      const res = await api.gql(LOG_IN, { input: { email: address, password: PASSWORD } });
      expect(res.errors, `${kind}: ${address}`).toBeUndefined();
      expect(res.data.logIn.user.id).toBe(created.data.signUp.user.id);
    }
    const idn = await signUp(`${name}@bücher.example`);
    expect(idn.errors).toBeUndefined();
    for (const address of [`${name}@xn--bcher-kva.example`, `${name.toUpperCase()}@BÜCHER.example.`]) {
      expect((await api.gql(LOG_IN, { input: { email: address, password: PASSWORD } })).data?.logIn.user.id).toBe(idn.data.signUp.user.id);
    }
  });

  it('logIn answers an address that cannot be normalized like any other failure', async () => {
    const answers = new Set<string>();
    for (const address of [`nobody-${tag()}@example.com`, 'd\u200Bup@example.com', 'dup@xn--a.com', 'dup@@example.com']) {
      const res = await api.gql(LOG_IN, { input: { email: address, password: PASSWORD } });
      expect(res.errors?.[0]).toMatchObject({ message: 'Email or password is incorrect', extensions: { code: 'UNAUTHENTICATED' } });
      answers.add(JSON.stringify(res));
    }
    expect(answers.size).toBe(1);
  });

  it("updateProfile refuses a look-alike of another account's email, and takes a look-alike of one's own as no change", async () => {
    const other = `other-${tag()}`;
    expect((await signUp(`${other}@example.com`)).errors).toBeUndefined();
    const me = await api.signUp();
    for (const [kind, address] of Object.entries(lookAlikes(other))) {
      expect(codeOf(await api.gql(UPDATE_EMAIL, { e: address }, me.token)), kind).toBe('CONFLICT');
    }
    const moved = await api.gql(UPDATE_EMAIL, { e: `Mine-${tag()}@Bücher.Example.` }, me.token);
    expect(moved.errors).toBeUndefined();
    expect(moved.data.updateProfile.email).toMatch(/^mine-[0-9a-f]{8}@xn--bcher-kva\.example$/);
    const again = await api.gql(UPDATE_EMAIL, { e: moved.data.updateProfile.email.replace('xn--bcher-kva', 'BÜCHER') }, me.token);
    expect(again.data.updateProfile).toEqual(moved.data.updateProfile);
  });

  it('signUp and updateProfile refuse what cannot be normalized with BAD_USER_INPUT saying what is wrong', async () => {
    const res = await signUp(`in\u200Bvisible-${tag()}@example.com`);
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
    expect(res.errors![0]!.message).toBe('email must not contain spaces, control or invisible characters');
    expect(res.errors![0]!.extensions!.field).toBe('email');
    const me = await api.signUp();
    const bad = await api.gql(UPDATE_EMAIL, { e: 'me@192.0.2.1' }, me.token);
    expect(codeOf(bad)).toBe('BAD_USER_INPUT');
    expect(bad.errors![0]!.message).toBe('email must have a domain name after the "@", not an IP address');
  });
});

describe('look-alike emails share their rate-limit counts', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({
      RATE_LIMITS: 'on',
      TRUST_PROXY: 'loopback',
      RATE_LIMIT_SIGNUP_PER_ACCOUNT: '3/3600',
      RATE_LIMIT_LOGIN_PER_IP_AND_ACCOUNT: '3/60',
      RATE_LIMIT_LOGIN_PER_ACCOUNT: '5/60',
    });
  });
  afterAll(() => api?.close());

  let nextIp = 1;
  const send = async (query: string, variables: Record<string, unknown>, ip = `198.51.100.${nextIp++}`) => {
    const response = await fetch(api.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, ...((await response.json()) as object) } as GraphQLResponse;
  };

  it('signUp: the per-email count is one for all spellings of an address', async () => {
    const name = `count-${tag()}`;
    const spellings = [`${name}@example.com`, `${name}@exａmple.com`, `${name}@example.com.`, `${name.toUpperCase()}@EXAMPLE.COM`];
    const codes = [];
    for (const address of spellings) codes.push(codeOf(await send(SIGN_UP, { input: { email: address, name: 'Count', password: PASSWORD } })));
    expect(codes).toEqual([undefined, 'CONFLICT', 'CONFLICT', 'TOO_MANY_REQUESTS']);
  });

  it('logIn: failures under different spellings count for one account, per client and in all', async () => {
    const name = `victim-${tag()}`;
    expect(codeOf(await send(SIGN_UP, { input: { email: `${name}@bücher.example`, name: 'Victim', password: PASSWORD } }))).toBeUndefined();
    const client = '198.51.100.250';
    const spellings = [`${name}@bücher.example`, `${name}@xn--bcher-kva.example.`, `${name.toUpperCase()}@BÜCHER.EXAMPLE`];
    for (const address of spellings)
      expect(codeOf(await send(LOG_IN, { input: { email: address, password: 'wrong password' } }, client))).toBe('UNAUTHENTICATED');
    expect(codeOf(await send(LOG_IN, { input: { email: `${name}@ｂüｃｈｅｒ.example`, password: PASSWORD } }, client))).toBe('TOO_MANY_REQUESTS');
    // From other clients, under yet other spellings: the account's ceiling (5) is reached after 2 more.
    for (const address of [`${name}@xn--bcher-kva.example`, `${name}@bücher.example.`])
      expect(codeOf(await send(LOG_IN, { input: { email: address, password: 'wrong password' } }))).toBe('UNAUTHENTICATED');
    expect(codeOf(await send(LOG_IN, { input: { email: `${name}@BÜCHER.example`, password: 'wrong password' } }))).toBe('TOO_MANY_REQUESTS');
  });
});
