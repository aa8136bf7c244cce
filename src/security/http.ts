/**
 * The HTTP edge: the node:http server every Fastify instance of the API runs
 * on (slow-client limits, Node's own answers to broken requests), which
 * proxies may name the client, and, for /graphql, the body: JSON only, within
 * the limit, decompressed like any HTTP body. Requests that never reach
 * GraphQL (a body too large, not JSON, not a JSON object, an unknown path)
 * get a GraphQL-shaped JSON error with the right status, and the server's own
 * failures are masked and logged.
 */
import http, { type ServerOptions } from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import zlib from 'node:zlib';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import type { HttpTimeouts } from '../config.js';
import { ErrorCode } from '../graphql/errors.js';
import { requestContext } from '../logger.js';
import { redactSecrets } from './redact.js';

/**
 * Options for `http.createServer` that hold slow clients (slow-loris) to the
 * configured timeouts (HEADERS_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS,
 * KEEP_ALIVE_TIMEOUT_MS in src/config.ts). Node answers a request past
 * `headersTimeout` or `requestTimeout` with 408 and closes its connection,
 * but only looks for them every `connectionsCheckingInterval` (30 s by
 * default: a client dribbling its headers held on for 10 + up to 30 s). Here
 * it looks every tenth of the shorter timeout, at most a second apart and at
 * least 50 ms, so each fires at most that late. `keepAliveTimeout` is a timer
 * on each socket (Node adds a second of grace, so the client, told the
 * timeout in `Keep-Alive: timeout=`, closes first).
 */
export function httpServerOptions({ headersMs, requestMs, keepAliveMs }: HttpTimeouts): ServerOptions {
  return {
    headersTimeout: headersMs,
    requestTimeout: requestMs,
    keepAliveTimeout: keepAliveMs,
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(Math.min(headersMs, requestMs) / 10))),
  };
}

/** Node's own answers to a request it could not read (what it sends when no one handles `clientError`). */
const CLIENT_ERROR_ANSWERS: Record<string, string> = {
  ERR_HTTP_REQUEST_TIMEOUT: 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n',
  HPE_HEADER_OVERFLOW: 'HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n',
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 'HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n\r\n',
};

/**
 * Fastify's `clientErrorHandler`: answers as Node itself does (a bare 408 to a
 * slow client, 431, otherwise 400, each with `Connection: close`, unless a
 * response on the connection has started: it would be corrupted), then closes
 * the connection. Fastify's default would send a JSON body of its own.
 */
function clientErrorHandler(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  // The response in flight on this connection, if any (Node's own check, on its internal `_httpMessage`).
  const inFlight = (socket as Duplex & { _httpMessage?: http.ServerResponse | null })._httpMessage;
  if (socket.writable && !inFlight?.headersSent) {
    socket.write(CLIENT_ERROR_ANSWERS[error.code ?? ''] ?? 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
  }
  socket.destroy(error);
}

/**
 * TRUST_PROXY (src/config.ts) as Fastify's `trustProxy`, with Express's
 * `trust proxy` semantics: true or false, a list of addresses, subnets and
 * `loopback`/`linklocal`/`uniquelocal` (the same proxy-addr rules in both),
 * and a hop count `n`, which trusts the `n` nearest hops (Fastify 5 refuses a
 * bare number, so it is given as the function Express compiles it to).
 */
export function proxyTrust(trustProxy: boolean | number | string): boolean | string | ((address: string, hop: number) => boolean) {
  return typeof trustProxy === 'number' ? (_address, hop) => hop < trustProxy : trustProxy;
}

/**
 * A Fastify instance on a node:http server made with `httpServerOptions(timeouts)`
 * (returned as `httpServer`, not listening yet; the caller listens once routes
 * are registered and `app.ready()`). Routing as Express's defaults: a trailing
 * slash and letter case do not matter. The caller closes it (a running
 * request's keep-alive connection is served to the end, as with Express, not
 * answered 503).
 */
export function fastifyServer(timeouts: HttpTimeouts, options: FastifyServerOptions = {}): { app: FastifyInstance; httpServer: http.Server } {
  let httpServer: http.Server | undefined;
  const app = Fastify({
    ...options,
    serverFactory: (handler) => (httpServer = http.createServer(httpServerOptions(timeouts), handler)),
    clientErrorHandler,
    return503OnClosing: false,
    routerOptions: { ignoreTrailingSlash: true, caseSensitive: false },
  });
  return { app, httpServer: httpServer! };
}

/**
 * An `onRequest` hook: echoes the request's id (Fastify's `genReqId`) in
 * `x-request-id`, and runs the rest of the request (its later hooks, its
 * handler) with the id in `requestContext`, so that every log line written
 * meanwhile carries it. Fastify keeps that context while it reads the body
 * (its content-type parser runs in an AsyncResource of the request).
 */
export function withRequestId(request: FastifyRequest, reply: FastifyReply, done: () => void): void {
  void reply.header('x-request-id', request.id);
  requestContext.run({ requestId: request.id }, done);
}

/** The GraphQL-shaped body of an error that never reached GraphQL. */
const errorBody = (message: string, code: ErrorCode) => ({ errors: [{ message, extensions: { code } }] });

/** A refusal of the request's body: its status and a message safe to show. */
class BodyError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** The content encodings a body may come in (a Map: the header's value is the client's, `constructor` included). */
const DECOMPRESSORS = new Map<string, () => zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress>([
  ['gzip', () => zlib.createGunzip()],
  ['deflate', () => zlib.createInflate()],
  ['br', () => zlib.createBrotliDecompress()],
]);

/**
 * A `preParsing` hook: a body sent with `Content-Encoding: gzip`, `deflate` or
 * `br` is decompressed, and the limit counts its decompressed bytes (a
 * compressed bomb stops at the limit); any other encoding is refused, 415.
 */
export async function decompressBody(request: FastifyRequest, reply: FastifyReply, payload: Readable): Promise<Readable> {
  const encoding = (request.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding === 'identity') return payload;
  const decompressor = DECOMPRESSORS.get(encoding);
  if (!decompressor) throw new BodyError(415, `unsupported content encoding "${encoding}"`);
  // Fastify compares Content-Length with `receivedEncodedLength`, the bytes received before decompressing.
  const stream = Object.assign(decompressor(), { receivedEncodedLength: 0 });
  payload.on('data', (chunk: Buffer) => (stream.receivedEncodedLength += chunk.length));
  payload.on('error', (error) => stream.destroy(error));
  // A body that is not what it says fails while it is read (400); unread (refused earlier), its error goes nowhere.
  stream.on('error', () => undefined);
  payload.pipe(stream);
  // Answered before the body was read to its end (over the limit): the rest of it is read and dropped.
  reply.raw.once('finish', () => {
    if (stream.readableEnded) return;
    payload.unpipe(stream);
    stream.destroy();
    payload.resume();
  });
  return stream;
}

const utf8 = new TextDecoder();

/**
 * The `application/json` body parser (the only one): as Express's
 * `express.json()`, strict (a JSON object or array; anything else is 400), an
 * empty body is `{}`, and the charset must be a UTF (415 otherwise).
 */
export function parseJsonBody(request: FastifyRequest, body: Buffer, done: (error: Error | null, body?: unknown) => void): void {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(request.headers['content-type'] ?? '')?.[1]?.toLowerCase() ?? 'utf-8';
  let decoder = utf8;
  if (charset !== 'utf-8') {
    try {
      if (!charset.startsWith('utf-')) throw new RangeError(charset);
      decoder = new TextDecoder(charset);
    } catch {
      done(new BodyError(415, `unsupported charset "${charset.toUpperCase()}"`));
      return;
    }
  }
  const text = decoder.decode(body);
  if (text.length === 0) {
    done(null, {});
    return;
  }
  const first = /^[\x20\x09\x0a\x0d]*(.)/.exec(text)?.[1];
  try {
    if (first !== '{' && first !== '[') throw new SyntaxError('not a JSON object or array');
    done(null, JSON.parse(text));
  } catch {
    done(new BodyError(400, 'The request body is not valid JSON (or not a JSON object)'));
  }
}

/** A `preValidation` hook after the JSON parser: a POST without a body it parsed was not `application/json`. */
export async function requireJsonBody(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
  if (request.method === 'POST' && request.body === undefined) {
    return reply.code(415).send(errorBody('Send GraphQL requests as POST with content-type: application/json', ErrorCode.BAD_REQUEST));
  }
  return undefined;
}

/** The answer to anything that is not one of the API's paths: a JSON 404 like every other answer. */
export function notFound(_request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return reply.code(404).send(errorBody('Not found: the API is at /graphql', ErrorCode.NOT_FOUND));
}

/**
 * The error handler: 413 PAYLOAD_TOO_LARGE, 415 BAD_REQUEST (not
 * `application/json`, a charset or content encoding it cannot read), 400
 * BAD_REQUEST (unparsable JSON, no valid host, Fastify's other refusals with
 * their own message), 404 for an unknown path whatever its body, and anything else
 * logged with `log` (with the request's id) and answered 500
 * INTERNAL_SERVER_ERROR.
 */
export function jsonErrors({ bodyLimitBytes, log }: { bodyLimitBytes: number; log: (error: unknown) => void }) {
  return (error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    if (request.is404) return notFound(request, reply);
    const { statusCode, code } = (error ?? {}) as { statusCode?: unknown; code?: unknown };
    if (code === 'FST_ERR_CTP_BODY_TOO_LARGE' || statusCode === 413) {
      return reply.code(413).send(errorBody(`The request body is larger than the limit of ${bodyLimitBytes} bytes`, ErrorCode.PAYLOAD_TOO_LARGE));
    }
    if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return reply.code(415).send(errorBody('Send GraphQL requests as POST with content-type: application/json', ErrorCode.BAD_REQUEST));
    }
    if (code === 'ERR_INVALID_URL') {
      // @as-integrations/fastify builds the request's URL from its host: HTTP/1.1 requires a valid one (RFC 9112, 3.2).
      return reply.code(400).send(errorBody('The request has no valid Host (or X-Forwarded-Host from a trusted proxy)', ErrorCode.BAD_REQUEST));
    }
    if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
      // Our body refusals and Fastify's (a length that does not match, an aborted body): their messages are safe and say why.
      const message = error instanceof Error ? redactSecrets(error.message) : 'Bad request';
      return reply.code(statusCode).send(errorBody(message, ErrorCode.BAD_REQUEST));
    }
    requestContext.run({ requestId: request.id }, () => log(error));
    return reply.code(500).send(errorBody('Internal server error', ErrorCode.INTERNAL_SERVER_ERROR));
  };
}
