/**
 * Trusted documents (TRUSTED_DOCUMENTS; src/security/trusted-documents.ts)
 * over real HTTP: a manifest's document runs by documentId and by APQ hash,
 * POST and GET, or as its exact text; an unknown hash and any other query are
 * refused with HTTP 400 before anything runs, and APQ cannot register a
 * document. Without TRUSTED_DOCUMENTS, queries and APQ work as before and a
 * documentId gets a clear error. A wrong manifest stops the real entry point.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../src/config.js';
import { documentHash, loadTrustedDocuments } from '../src/security/trusted-documents.js';
import { startTestApi, type TestApi } from './support/api.js';

const ME = 'query Me {\n  me {\n    id\n    email\n  }\n}';
const TYPENAME = 'query Typename {\n  __typename\n}';
const RENAME = 'mutation Rename($input: UpdateProfileInput!) {\n  updateProfile(input: $input) {\n    name\n  }\n}';
const SIGN_UP = 'mutation SignUp($input: SignUpInput!) {\n  signUp(input: $input) {\n    token\n    user {\n      id\n    }\n  }\n}';
const UNTRUSTED = 'query Other { __typename me { id } }';

const dir = mkdtempSync(path.join(tmpdir(), 'sf-trusted-'));
const manifest = path.join(dir, 'persisted-documents.json');
const second = path.join(dir, 'more-documents.json');
writeFileSync(manifest, JSON.stringify({ [documentHash(ME)]: ME, [documentHash(RENAME)]: RENAME, [documentHash(SIGN_UP)]: SIGN_UP }));
writeFileSync(second, JSON.stringify({ [documentHash(TYPENAME)]: TYPENAME }));

let trusted: TestApi;
let open: TestApi;
let user: { token: string; globalId: string };
beforeAll(async () => {
  [trusted, open] = await Promise.all([startTestApi({ TRUSTED_DOCUMENTS: `${manifest}, ${second}` }), startTestApi()]);
  // As an app would: by the documentId of its SignUp mutation.
  const input = { email: `trusted-${Date.now()}@example.com`, name: 'Trusted', password: 'correct horse battery' };
  const res = await post(trusted, { documentId: documentHash(SIGN_UP), variables: { input } });
  if (!res.data) throw new Error(`signUp failed: ${JSON.stringify(res.errors)}`);
  user = { token: res.data.signUp.token, globalId: res.data.signUp.user.id };
});
afterAll(async () => {
  await Promise.all([trusted?.close(), open?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

async function post(api: TestApi, body: unknown, token?: string) {
  const res = await fetch(api.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
    body: JSON.stringify(body),
  });
  return { status: res.status, ...((await res.json()) as { data?: any; errors?: { message: string; extensions: { code: string } }[] }) };
}

async function get(api: TestApi, params: Record<string, string>, token?: string) {
  const res = await fetch(`${api.url}?${new URLSearchParams(params)}`, {
    headers: { 'apollo-require-preflight': 'true', ...(token && { authorization: `Bearer ${token}` }) },
  });
  return { status: res.status, ...((await res.json()) as { data?: any; errors?: { message: string; extensions: { code: string } }[] }) };
}

const apq = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });

describe('with TRUSTED_DOCUMENTS', () => {
  it('runs a manifest document named by documentId, POST and GET', async () => {
    const byId = await post(trusted, { documentId: documentHash(ME) }, user.token);
    expect(byId).toMatchObject({ status: 200, data: { me: { id: user.globalId } } });
    expect(byId.errors).toBeUndefined();
    // The GraphQL-over-HTTP proposal's prefixed form.
    expect(await post(trusted, { documentId: `sha256:${documentHash(ME)}` }, user.token)).toMatchObject({ status: 200, data: { me: { id: user.globalId } } });
    // From the second manifest, as a GET.
    expect(await get(trusted, { documentId: documentHash(TYPENAME) })).toEqual({ status: 200, data: { __typename: 'Query' } });
    // A mutation with variables.
    const renamed = await post(trusted, { documentId: documentHash(RENAME), variables: { input: { name: 'Renamed' } } }, user.token);
    expect(renamed).toMatchObject({ status: 200, data: { updateProfile: { name: 'Renamed' } } });
  });

  it("runs a manifest document named by Apollo's APQ extension, POST and GET", async () => {
    expect(await post(trusted, { extensions: apq(documentHash(ME)) }, user.token)).toMatchObject({ status: 200, data: { me: { id: user.globalId } } });
    const viaGet = await get(trusted, { extensions: JSON.stringify(apq(documentHash(TYPENAME))) });
    expect(viaGet).toEqual({ status: 200, data: { __typename: 'Query' } });
  });

  it('runs a full query whose text is in a manifest', async () => {
    expect(await post(trusted, { query: ME }, user.token)).toMatchObject({ status: 200, data: { me: { id: user.globalId } } });
    // With its own (right) hash, as an APQ client sends it after a miss.
    expect(await post(trusted, { query: TYPENAME, extensions: apq(documentHash(TYPENAME)) })).toMatchObject({ status: 200, data: { __typename: 'Query' } });
  });

  it('refuses an unknown hash, by documentId or APQ, with PERSISTED_DOCUMENT_NOT_FOUND and HTTP 400', async () => {
    const unknown = documentHash(UNTRUSTED);
    for (const res of [
      await post(trusted, { documentId: unknown }),
      await post(trusted, { extensions: apq(unknown) }),
      await get(trusted, { documentId: unknown }),
    ]) {
      expect(res.status).toBe(400);
      expect(res.errors).toEqual([
        {
          message: `No trusted document has the hash "${unknown}": the app was built against other documents`,
          extensions: { code: 'PERSISTED_DOCUMENT_NOT_FOUND' },
        },
      ]);
      expect(res.data).toBeUndefined();
    }
  });

  it('refuses any other query with TRUSTED_DOCUMENT_REQUIRED before anything runs', async () => {
    const before = await trusted.snapshot();
    const queries = trusted.services.dbStats.queries;
    // The same text as a trusted document but one space: another document.
    for (const query of [
      UNTRUSTED,
      `${ME} `,
      'mutation { logIn(input: {email: "a@example.com", password: "x"}) { token } }',
      '{ __schema { types { name } } }',
      'not graphql',
    ]) {
      const res = await post(trusted, { query }, user.token);
      expect(res.status, query).toBe(400);
      expect(res.errors?.[0]?.extensions.code, query).toBe('TRUSTED_DOCUMENT_REQUIRED');
      expect(res.errors?.[0]?.message).toMatch(/runs only its trusted documents/);
    }
    const viaGet = await get(trusted, { query: UNTRUSTED });
    expect([viaGet.status, viaGet.errors?.[0]?.extensions.code]).toEqual([400, 'TRUSTED_DOCUMENT_REQUIRED']);
    // A second `query` behind a trusted one is not what runs; a batch is refused whole.
    const twice = await fetch(`${trusted.url}?query=${encodeURIComponent(TYPENAME)}&query=${encodeURIComponent(UNTRUSTED)}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(await twice.json()).toEqual({ data: { __typename: 'Query' } });
    const batch = await fetch(trusted.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ query: UNTRUSTED }]) });
    expect([batch.status, ((await batch.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code]).toEqual([400, 'BAD_REQUEST']);
    expect(trusted.services.dbStats.queries).toBe(queries);
    expect(await trusted.snapshot()).toEqual(before);
  });

  it('cannot be taught a document through APQ registration', async () => {
    const hash = documentHash(UNTRUSTED);
    // APQ's registration: the query with its right hash. Refused, and not remembered.
    const register = await post(trusted, { query: UNTRUSTED, extensions: apq(hash) });
    expect([register.status, register.errors?.[0]?.extensions.code]).toEqual([400, 'TRUSTED_DOCUMENT_REQUIRED']);
    const again = await post(trusted, { extensions: apq(hash) });
    expect([again.status, again.errors?.[0]?.extensions.code]).toEqual([400, 'PERSISTED_DOCUMENT_NOT_FOUND']);
    // A trusted hash with another query: refused, whichever of the two is trusted.
    const swapped = await post(trusted, { query: UNTRUSTED, extensions: apq(documentHash(ME)) });
    expect([swapped.status, swapped.errors?.[0]?.extensions.code]).toEqual([400, 'BAD_REQUEST']);
    const mismatched = await post(trusted, { documentId: documentHash(TYPENAME), extensions: apq(documentHash(ME)) });
    expect([mismatched.status, mismatched.errors?.[0]?.extensions.code]).toEqual([400, 'BAD_REQUEST']);
  });
});

describe('without TRUSTED_DOCUMENTS', () => {
  it('runs any query, and APQ registers and runs hashes as Apollo Server does', async () => {
    expect(await post(open, { query: UNTRUSTED })).toMatchObject({ status: 200, data: { __typename: 'Query', me: null } });
    const hash = documentHash(UNTRUSTED);
    const miss = await post(open, { extensions: apq(hash) });
    expect(miss.errors?.[0]?.extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(await post(open, { query: UNTRUSTED, extensions: apq(hash) })).toMatchObject({ status: 200, data: { __typename: 'Query' } });
    expect(await post(open, { extensions: apq(hash) })).toMatchObject({ status: 200, data: { __typename: 'Query' } });
  });

  it('answers a documentId with a clear PERSISTED_DOCUMENT_NOT_FOUND', async () => {
    const res = await post(open, { documentId: documentHash(ME) });
    expect(res.status).toBe(400);
    expect(res.errors).toEqual([
      {
        message: 'This server has no trusted documents (TRUSTED_DOCUMENTS is not set): send the document itself in `query`',
        extensions: { code: 'PERSISTED_DOCUMENT_NOT_FOUND' },
      },
    ]);
  });
});

describe('manifests at start-up', () => {
  const write = (name: string, contents: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, contents);
    return file;
  };

  it('refuses a manifest whose key is not the sha256 of its document, naming the entry', () => {
    const wrong = documentHash(TYPENAME);
    const file = write('wrong-hash.json', JSON.stringify({ [documentHash(ME)]: ME, [wrong]: UNTRUSTED }));
    expect(() => loadTrustedDocuments([file])).toThrow(ConfigError);
    expect(() => loadTrustedDocuments([file])).toThrow(
      `TRUSTED_DOCUMENTS: ${file}: entry "${wrong}": the document's sha256 is ${documentHash(UNTRUSTED)}, not its key`,
    );
  });

  it("takes keys as client preset 6 writes them with hashAlgorithm: 'sha256' (sha256:<hex>), found by the plain hash", () => {
    const file = write('prefixed.json', JSON.stringify({ [`sha256:${documentHash(ME)}`]: ME }));
    expect(loadTrustedDocuments([file]).get(documentHash(ME))).toBe(ME);
    const wrong = write('prefixed-wrong.json', JSON.stringify({ [`sha256:${documentHash(TYPENAME)}`]: ME }));
    expect(() => loadTrustedDocuments([wrong])).toThrow(/the document's sha256 is [0-9a-f]{64}, not its key/);
  });

  it('refuses a missing file, bad JSON, a key that is no sha256, a value that is no document', () => {
    expect(() => loadTrustedDocuments([path.join(dir, 'missing.json')])).toThrow(/TRUSTED_DOCUMENTS: cannot read .*missing\.json as JSON: ENOENT/);
    expect(() => loadTrustedDocuments([write('bad.json', '{"a": ')])).toThrow(/TRUSTED_DOCUMENTS: cannot read .*bad\.json as JSON/);
    expect(() => loadTrustedDocuments([write('array.json', '[]')])).toThrow(/array\.json must be a JSON object/);
    expect(() => loadTrustedDocuments([write('empty.json', '{}')])).toThrow(/empty\.json holds no document \(did codegen's `documents` find/);
    expect(() => loadTrustedDocuments([write('md5.json', JSON.stringify({ d41d8cd98f00b204e9800998ecf8427e: ME }))])).toThrow(
      /entry "d41d8cd98f00b204e9800998ecf8427e": the key must be a sha256/,
    );
    expect(() => loadTrustedDocuments([write('number.json', JSON.stringify({ [documentHash(ME)]: 1 }))])).toThrow(/the value must be the document's text/);
    expect(loadTrustedDocuments([manifest, second]).size).toBe(4);
  });

  it('the entry point refuses to start with a wrong manifest, naming it', async () => {
    const wrong = documentHash(TYPENAME);
    const file = write('entry-point.json', JSON.stringify({ [wrong]: UNTRUSTED }));
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: {
        ...process.env,
        LOG_LEVEL: 'info',
        VITEST: '',
        NODE_ENV: 'development',
        PORT: '0',
        DATABASE_URL: open.services.config.databaseUrl!,
        REDIS_URL: open.services.config.redisUrl!,
        CACHE_NAMESPACE: open.namespace,
        TRUSTED_DOCUMENTS: file,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    // A server that starts anyway (the check broken) is stopped here, not left running.
    const stop = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const code = await exited.finally(() => clearTimeout(stop));
    expect(code).toBe(1);
    expect(output).toContain(`invalid configuration: TRUSTED_DOCUMENTS: ${file}: entry \\"${wrong}\\": the document's sha256 is ${documentHash(UNTRUSTED)}`);
    expect(output).not.toMatch(/ready at/);
  });
});
