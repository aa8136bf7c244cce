/**
 * The benchmark's two reference points, each its own process like the modes
 * (scripts/bench/references.ts starts it as `node --import tsx
 * scripts/bench/reference-server.ts` with `BENCH_REFERENCE`, `PORT` and `HOST`):
 *
 * - `raw-http`: `node:http` answering each query the benchmark sends it (the
 *   product by id, the cart) with the very bytes the API answered to it: the
 *   body and the headers the run captured from the API (`BENCH_ANSWERS`, a
 *   JSON file of `CapturedAnswers`), `Date`, `Connection` and `Keep-Alive`
 *   written by Node as for the API. It reads the request's body and parses
 *   nothing: the most this machine serves to this load generator.
 * - `bare-apollo`: Apollo Server 5 on Fastify 5 through
 *   `@as-integrations/fastify` (the API's integration), `NODE_ENV=production`, the API's `schema.graphql`
 *   (`BENCH_SCHEMA`), no plugin (Apollo's default cache-control plugin
 *   disabled, as the API disables it), and resolvers that return the captured
 *   answers' data as constants, in the shape of the real answer: the most the
 *   framework serves these queries.
 *
 * - `bare-apollo-express`, `bare-apollo-jit` (experiments, run on request):
 *   the same on Express 5 (the API's integration before Fastify), and the
 *   same executing with graphql-jit.
 *
 * All answer `GET /readyz`, and `GET /metrics` with the two counters the
 * benchmark reads for the CPU time per request, in the API's names: the
 * process's CPU seconds and the GraphQL requests (POSTs) answered. The API's
 * code (src/) is not loaded.
 */
import http from 'node:http';
import { readFileSync } from 'node:fs';
import type { CapturedAnswers } from './references.js';
import type { ExecutionResult } from 'graphql';

const reference = process.env.BENCH_REFERENCE;
const answers = JSON.parse(readFileSync(required('BENCH_ANSWERS'), 'utf8')) as CapturedAnswers;
const port = Number(process.env.PORT ?? 0);
const host = process.env.HOST ?? '127.0.0.1';
let graphqlRequests = 0;

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} must be set`);
    process.exit(1);
  }
  return value;
}

/** GET /readyz and GET /metrics; anything else 404. */
function answerGet(req: http.IncomingMessage, res: http.ServerResponse): void {
  if (req.url === '/readyz') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ready"}');
  } else if (req.url === '/metrics') {
    const { user, system } = process.cpuUsage();
    res
      .writeHead(200, { 'content-type': 'text/plain; version=0.0.4' })
      .end(
        `# TYPE storefront_process_cpu_seconds_total counter\nstorefront_process_cpu_seconds_total ${(user + system) / 1e6}\n` +
          `# TYPE storefront_graphql_requests_total counter\nstorefront_graphql_requests_total ${graphqlRequests}\n`,
      );
  } else {
    res.writeHead(404).end();
  }
}

/** Headers Node writes itself on every answer (or that depend on the body it is given). */
const NODE_HEADERS = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);

function rawHttp(): http.Server {
  const replies = Object.values(answers.operations).map((a) => {
    const body = Buffer.from(a.body);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(a.headers)) if (!NODE_HEADERS.has(name)) headers[name] = value;
    headers['content-length'] = String(body.length);
    return { query: a.query, status: a.status, headers, body };
  });
  const unknown = Buffer.from(
    '{"errors":[{"message":"raw-http answers only the benchmark\'s product and cart queries","extensions":{"code":"NOT_SUPPORTED_IN_MODE"}}]}',
  );
  return http.createServer((req, res) => {
    if (req.method !== 'POST') return answerGet(req, res);
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      graphqlRequests++;
      const reply = replies.find((r) => body.includes(r.query));
      if (reply) res.writeHead(reply.status, reply.headers).end(reply.body);
      else res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(unknown.length) }).end(unknown);
    });
  });
}

/** Each captured answer's top-level fields (`product`, `me`) as constant resolvers of Query. */
function constantResolvers(): { Query: Record<string, () => unknown> } {
  const Query: Record<string, () => unknown> = {};
  for (const answer of Object.values(answers.operations)) {
    const data = (JSON.parse(answer.body) as { data: Record<string, unknown> }).data;
    for (const [field, value] of Object.entries(data)) Query[field] = () => value;
  }
  return { Query };
}

/** Apollo Server with the API's schema and constant resolvers; with `jit`, executing through graphql-jit. */
async function apolloServer({ jit = false } = {}) {
  const [{ ApolloServer }, { ApolloServerPluginCacheControlDisabled }] = await Promise.all([
    import('@apollo/server'),
    import('@apollo/server/plugin/disabled'),
  ]);
  const typeDefs = readFileSync(required('BENCH_SCHEMA'), 'utf8');
  // Installed by default, disabled by the API (its per-field instrumentation costs every request).
  const common = { plugins: [ApolloServerPluginCacheControlDisabled()], stopOnTerminationSignals: false };
  const apollo = jit
    ? new ApolloServer({ ...common, gateway: await jitGateway(typeDefs) })
    : new ApolloServer({ ...common, typeDefs, resolvers: constantResolvers() });
  await apollo.start();
  return apollo;
}

/**
 * graphql-jit inside Apollo Server 5 without forking it: Apollo's gateway interface
 * (@apollo/server-gateway-interface) lets a "gateway" hand it the schema and an executor;
 * this one compiles each document once (graphql-jit's compileQuery) and runs the compiled
 * function. Apollo still parses, validates and runs its request pipeline as usual.
 */
async function jitGateway(typeDefs: string): Promise<import('@apollo/server-gateway-interface').GatewayInterface> {
  const [{ compileQuery, isCompiledQuery }, { makeExecutableSchema }, { printSchema }] = await Promise.all([
    import('graphql-jit'),
    import('@graphql-tools/schema'),
    import('graphql'),
  ]);
  const schema = makeExecutableSchema({ typeDefs, resolvers: constantResolvers() });
  type Compiled = ReturnType<typeof compileQuery<Record<string, unknown>, Record<string, unknown>>>;
  const compiled = new WeakMap<object, Compiled>();
  let onSchema: ((s: { apiSchema: typeof schema; coreSupergraphSdl: string }) => void) | undefined;
  return {
    onSchemaLoadOrUpdate(callback) {
      onSchema = callback;
      return () => {};
    },
    async load() {
      onSchema?.({ apiSchema: schema, coreSupergraphSdl: printSchema(schema) });
      return {
        executor: async ({ document, operationName, request, context }) => {
          let query = compiled.get(document);
          if (!query) compiled.set(document, (query = compileQuery(schema, document, operationName ?? undefined)));
          if (!isCompiledQuery(query)) return query as ExecutionResult<Record<string, unknown>>;
          return (await query.query(undefined, context, request.variables ?? {})) as ExecutionResult<Record<string, unknown>>;
        },
      };
    },
    async stop() {},
  };
}

/** bare-apollo on Express 5 through @as-integrations/express5 (the API's integration before Fastify). */
async function bareApolloExpress(): Promise<http.Server> {
  const [{ expressMiddleware }, { default: express }] = await Promise.all([import('@as-integrations/express5'), import('express')]);
  const apollo = await apolloServer();
  const app = express();
  app.disable('x-powered-by');
  app.get(['/readyz', '/metrics'], answerGet);
  app.use('/graphql', express.json(), expressMiddleware(apollo));
  const server = http.createServer(app);
  server.on('request', (req: http.IncomingMessage) => {
    if (req.method === 'POST') graphqlRequests++;
  });
  return server;
}

/** bare-apollo: Fastify 5 through @as-integrations/fastify, as the API; returns its node:http server, not yet listening. */
async function bareApollo(): Promise<http.Server> {
  const [{ default: Fastify }, { fastifyApolloHandler }] = await Promise.all([import('fastify'), import('@as-integrations/fastify')]);
  const apollo = await apolloServer({ jit: reference === 'bare-apollo-jit' });
  const app = Fastify();
  app.get('/readyz', (req, reply) => answerGet(req.raw, reply.raw));
  app.get('/metrics', (req, reply) => answerGet(req.raw, reply.raw));
  app.route({ url: '/graphql', method: ['GET', 'POST', 'OPTIONS'], handler: fastifyApolloHandler(apollo) });
  app.addHook('onRequest', async (req) => {
    if (req.method === 'POST') graphqlRequests++;
  });
  await app.ready();
  return app.server;
}

async function main() {
  const server =
    reference === 'raw-http'
      ? rawHttp()
      : reference === 'bare-apollo' || reference === 'bare-apollo-jit'
        ? await bareApollo()
        : reference === 'bare-apollo-express'
          ? await bareApolloExpress()
          : null;
  if (!server) {
    console.error(`BENCH_REFERENCE must be raw-http, bare-apollo, bare-apollo-express or bare-apollo-jit, got ${JSON.stringify(reference)}`);
    process.exit(1);
  }
  server.listen(port, host, () => console.log(`${reference} ready on http://${host}:${port} (answers captured from ${answers.from})`));
  process.on('SIGTERM', () => server.close(() => process.exit(0)).closeAllConnections());
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
