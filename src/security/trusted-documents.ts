/**
 * Trusted documents (persisted documents): with TRUSTED_DOCUMENTS set, /graphql
 * runs only the documents of the manifests it names, and refuses any other
 * before parsing it (HTTP 400, nothing run).
 *
 * A manifest is graphql-codegen client preset's `persisted-documents.json`
 * (`presetConfig: { persistedDocuments: { hashAlgorithm: 'sha256' } }`): a JSON
 * object from the sha256 (64 lower-case hex digits) of each document's text
 * to that text. Manifests are read and checked once, at start-up.
 *
 * A client names a document in any of three ways, POST or GET:
 *   { "documentId": "<hash>", "variables": ... }    (or "sha256:<hash>"; GET: ?documentId=<hash>)
 *   { "extensions": { "persistedQuery": { "version": 1, "sha256Hash": "<hash>" } }, ... }   (Apollo's APQ form)
 *   { "query": "<the document's text, exactly as in the manifest>", ... }
 * and Apollo Server gets the manifest's text as `query`, without the
 * `documentId` or `persistedQuery` it came with: with manifests, Apollo's own
 * automatic persisted queries are off (`persistedQueries: false`), so a client
 * can never register a document of its own.
 *
 * Refusals: PERSISTED_DOCUMENT_NOT_FOUND (a hash in no manifest; also any
 * `documentId` when TRUSTED_DOCUMENTS is unset), TRUSTED_DOCUMENT_REQUIRED
 * (a `query` whose text is in no manifest), BAD_REQUEST (a hash that does
 * not match the `query` sent with it, an APQ version other than 1).
 *
 * Without manifests nothing changes but `documentId`'s clear error: a `query`
 * runs, and APQ works as Apollo Server does it (an unknown hash answers
 * PERSISTED_QUERY_NOT_FOUND, and the client sends the query with its hash).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ConfigError } from '../config.js';
import { ErrorCode } from '../graphql/errors.js';

/** The documents of every manifest: sha256 (hex) of a document's text → that text. */
export type TrustedDocuments = ReadonlyMap<string, string>;

/** The sha256 of a document's text, in lower-case hex: the key of a manifest. */
export const documentHash = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * Reads and checks the manifests at `paths` (TRUSTED_DOCUMENTS). Throws
 * `ConfigError` naming the file, and the entry when one is wrong: a file that
 * cannot be read or is not a JSON object, a key that is not a sha256 in hex,
 * a value that is not a string, a key that is not the sha256 of its text.
 * The same hash in two manifests is the same text (its hash says so).
 */
export function loadTrustedDocuments(paths: readonly string[]): TrustedDocuments {
  const documents = new Map<string, string>();
  for (const path of paths) {
    let manifest: unknown;
    try {
      manifest = JSON.parse(readFileSync(path, 'utf8'));
    } catch (error) {
      throw new ConfigError(`TRUSTED_DOCUMENTS: cannot read ${path} as JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (manifest === null || typeof manifest !== 'object' || Array.isArray(manifest)) {
      throw new ConfigError(
        `TRUSTED_DOCUMENTS: ${path} must be a JSON object of "<sha256 hex>" (or "sha256:<hex>"): "<document>" (graphql-codegen's persisted-documents.json)`,
      );
    }
    for (const [key, text] of Object.entries(manifest)) {
      const entry = `${path}: entry ${JSON.stringify(key.slice(0, 80))}`;
      // Plain hex, or prefixed as client preset 6 writes it with `hashAlgorithm: 'sha256'` (`sha256:<hex>`).
      const hash = key.replace(/^sha256:/, '');
      if (!/^[0-9a-f]{64}$/.test(hash)) {
        throw new ConfigError(`TRUSTED_DOCUMENTS: ${entry}: the key must be a sha256 in lower-case hex (64 digits), plain or as sha256:<hex>`);
      }
      if (typeof text !== 'string' || text.trim() === '') throw new ConfigError(`TRUSTED_DOCUMENTS: ${entry}: the value must be the document's text`);
      const actual = documentHash(text);
      if (actual !== hash) {
        throw new ConfigError(
          `TRUSTED_DOCUMENTS: ${entry}: the document's sha256 is ${actual}, not its key (regenerate the manifest with hashAlgorithm: 'sha256')`,
        );
      }
      documents.set(hash, text);
    }
    // graphql-codegen writes `{}` when its `documents` glob found no operation: an API with it would refuse everything.
    if (Object.keys(manifest).length === 0) {
      throw new ConfigError(`TRUSTED_DOCUMENTS: ${path} holds no document (did codegen's \`documents\` find the app's operations?)`);
    }
  }
  return documents;
}

class Refusal extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const shortHash = (hash: unknown) => JSON.stringify(typeof hash === 'string' && hash.length > 80 ? `${hash.slice(0, 80)}…` : hash);

/** What one request asks for: its `query`, the hash it names (documentId or APQ), and where they came from. */
interface Asked {
  query: unknown;
  documentId: unknown;
  extensions: Record<string, unknown> | undefined;
}

/** The APQ hash of `extensions.persistedQuery` (undefined without one); BAD_REQUEST for a version other than 1 or no hash. */
function apqHash(extensions: Record<string, unknown> | undefined): string | undefined {
  const persisted = extensions?.persistedQuery as { version?: unknown; sha256Hash?: unknown } | undefined;
  if (persisted === undefined || persisted === null) return undefined;
  if (persisted.version !== 1) throw new Refusal(ErrorCode.BAD_REQUEST, 'Unsupported persisted query version: send extensions.persistedQuery.version 1');
  if (typeof persisted.sha256Hash !== 'string') throw new Refusal(ErrorCode.BAD_REQUEST, 'extensions.persistedQuery.sha256Hash must be a string');
  return persisted.sha256Hash;
}

/**
 * The text to run for `asked` (see the top of this file), or undefined to
 * leave the request as it is (no manifests, no `documentId`). Throws a Refusal.
 */
function resolve(asked: Asked, documents: TrustedDocuments | null): string | undefined {
  if (asked.documentId !== undefined && typeof asked.documentId !== 'string') throw new Refusal(ErrorCode.BAD_REQUEST, 'documentId must be a string');
  // The GraphQL-over-HTTP proposal's prefixed form (`sha256:<hash>`) names the same document.
  const documentId = (asked.documentId as string | undefined)?.replace(/^sha256:/, '');
  if (!documents) {
    if (documentId === undefined) return undefined;
    throw new Refusal(
      ErrorCode.PERSISTED_DOCUMENT_NOT_FOUND,
      'This server has no trusted documents (TRUSTED_DOCUMENTS is not set): send the document itself in `query`',
    );
  }
  const apq = apqHash(asked.extensions);
  if (documentId !== undefined && apq !== undefined && documentId !== apq) {
    throw new Refusal(ErrorCode.BAD_REQUEST, 'documentId and extensions.persistedQuery.sha256Hash name different documents: send one');
  }
  const hash = documentId ?? apq;
  if (typeof asked.query === 'string' && asked.query !== '') {
    const actual = documentHash(asked.query);
    if (hash !== undefined && hash !== actual) throw new Refusal(ErrorCode.BAD_REQUEST, `The query's sha256 is ${actual}, not the hash sent with it`);
    if (!documents.has(actual)) {
      throw new Refusal(
        ErrorCode.TRUSTED_DOCUMENT_REQUIRED,
        'This server runs only its trusted documents, and this query is not one of them: send the documentId of a document built into the app',
      );
    }
    return asked.query;
  }
  if (hash === undefined) return undefined; // no query, no hash: Apollo says what is missing
  const text = documents.get(hash);
  if (text === undefined) {
    throw new Refusal(ErrorCode.PERSISTED_DOCUMENT_NOT_FOUND, `No trusted document has the hash ${shortHash(hash)}: the app was built against other documents`);
  }
  return text;
}

/** The GET parameters Apollo reads, parsed the way it parses them (URLSearchParams; `extensions` as JSON). */
function fromSearch(params: URLSearchParams): Asked {
  let extensions: Record<string, unknown> | undefined;
  const raw = params.get('extensions');
  if (raw !== null) {
    try {
      const parsed: unknown = JSON.parse(raw);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) extensions = parsed as Record<string, unknown>;
    } catch {
      // Apollo refuses it with a clear message
    }
  }
  return { query: params.get('query') ?? undefined, documentId: params.get('documentId') ?? undefined, extensions };
}

/** `extensions` without `persistedQuery`: undefined when nothing is left. */
function withoutPersistedQuery(extensions: Record<string, unknown> | undefined) {
  if (!extensions) return undefined;
  const { persistedQuery: _resolved, ...rest } = extensions;
  return Object.keys(rest).length ? rest : undefined;
}

/** `url`'s path and query string (after the first `?`; a `?` may appear unencoded in the query string). */
function splitUrl(url: string): [path: string, search: string] {
  const at = url.indexOf('?');
  return at < 0 ? [url, ''] : [url.slice(0, at), url.slice(at + 1)];
}

function rewrite(request: FastifyRequest, text: string) {
  if (request.method === 'GET') {
    const [path, search] = splitUrl(request.raw.url ?? '');
    const params = new URLSearchParams(search);
    const extensions = withoutPersistedQuery(fromSearch(params).extensions);
    params.delete('documentId');
    params.set('query', text);
    if (extensions) params.set('extensions', JSON.stringify(extensions));
    else params.delete('extensions');
    // Apollo's Fastify integration reads the GET parameters from the request's URL (request.url, the raw request's).
    request.raw.url = `${path}?${params.toString()}`;
    return;
  }
  const body = request.body as Record<string, unknown>;
  const extensions = withoutPersistedQuery(body.extensions as Record<string, unknown> | undefined);
  const { documentId: _resolved, extensions: _old, ...rest } = body;
  request.body = { ...rest, query: text, ...(extensions && { extensions }) };
}

/**
 * The `preValidation` hook of /graphql, after the JSON body parser and before
 * Apollo Server: resolves a named document to its text, or answers the
 * refusal (HTTP 400, a GraphQL-shaped JSON error with its code) before
 * anything is parsed or run. `documents`: the manifests' documents, null when
 * TRUSTED_DOCUMENTS is unset.
 */
export function trustedDocumentsHook(documents: TrustedDocuments | null) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    let asked: Asked;
    if (request.method === 'GET') {
      asked = fromSearch(new URLSearchParams(splitUrl(request.raw.url ?? '')[1]));
    } else if (request.method === 'POST' && request.body && typeof request.body === 'object' && !Array.isArray(request.body)) {
      const body = request.body as Record<string, unknown>;
      const extensions = body.extensions && typeof body.extensions === 'object' ? (body.extensions as Record<string, unknown>) : undefined;
      asked = { query: body.query, documentId: body.documentId, extensions };
    } else if (documents && request.method === 'POST' && Array.isArray(request.body)) {
      // A batch would carry documents past this check: refused whether or not Apollo would take it.
      return reply
        .code(400)
        .send({ errors: [{ message: 'Batched requests are not supported: send one operation per request', extensions: { code: ErrorCode.BAD_REQUEST } }] });
    } else {
      return undefined;
    }
    try {
      const text = resolve(asked, documents);
      if (text !== undefined && documents) rewrite(request, text);
      return undefined;
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      return reply.code(400).send({ errors: [{ message: error.message, extensions: { code: error.code } }] });
    }
  };
}
