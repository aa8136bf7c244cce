/**
 * The HTTP server: Fastify 5 with Apollo Server 5 at /graphql, liveness at
 * /healthz and readiness (PostgreSQL and Redis) at /readyz; /metrics here or on
 * METRICS_PORT, per `metricsExposure` (src/metrics.ts). Outside production,
 * the playgrounds: Apollo Sandbox at /graphql (to a browser), the self-hosted
 * GraphiQL at /graphiql, and `/` redirects to GraphiQL.
 */
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { fastifyApolloHandler } from '@as-integrations/fastify';
import fastifyCors from '@fastify/cors';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { randomUUID } from 'node:crypto';
import { createContext, type GraphQLContext } from '../graphql/context.js';
import { createErrorFormatter } from '../graphql/errors.js';
import { resolvers } from '../graphql/resolvers/index.js';
import { typeDefs } from '../graphql/schema.js';
import { decoyHash } from '../auth/passwords.js';
import {
  createSecurity,
  decompressBody,
  fastifyServer,
  jsonErrors,
  notFound,
  parseJsonBody,
  proxyTrust,
  requireJsonBody,
  withRequestId,
} from '../security/index.js';
import { redactSecrets } from '../security/redact.js';
import { withoutCorsForRefusedOrigins } from '../security/cors.js';
import type { Services } from '../services.js';
import { graphiqlRoutes } from './graphiql.js';
import { metricsExposure, metricsHandler, startMetricsServer } from '../metrics.js';
import { toError } from 'prisma-write-through';

/** A caller's `x-request-id` is kept if it is a plain token like this; any other gets a new one. */
const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

export interface ApiServer {
  /** Base URL once listening, e.g. `http://127.0.0.1:4000`. */
  url: string;
  /** Base URL of the /metrics server of METRICS_PORT, e.g. `http://127.0.0.1:9464`; null without METRICS_PORT. */
  metricsUrl: string | null;
  httpServer: http.Server;
  /** The playgrounds' URLs outside production (GraphiQL, self-hosted; Apollo Sandbox, from Apollo's CDN); null in production. */
  playgrounds: { graphiql: string; sandbox: string } | null;
  /** Stops accepting requests, lets in-flight ones finish, then closes connections (the METRICS_PORT server's too). */
  stop(): Promise<void>;
}

async function readiness(services: Services) {
  const check = async (probe: () => Promise<unknown>) => {
    try {
      await probe();
      return 'ok';
    } catch (error) {
      return `unavailable: ${redactSecrets(toError(error).message)}`;
    }
  };
  const [postgres, redis] = await Promise.all([
    check(() => services.rawDb.$queryRaw`SELECT 1`),
    services.redis ? check(() => services.store.ping()) : Promise.resolve('in-process'),
  ]);
  return { postgres, redis };
}

/** One log line per GraphQL operation: its name, duration and error codes (with the request id). */
function accessLog({ log }: Services): ApolloServerPlugin {
  return {
    async requestDidStart() {
      const started = performance.now();
      return {
        async willSendResponse({ operationName, errors }) {
          const codes = errors?.map((e) => e.extensions?.code ?? 'INTERNAL_SERVER_ERROR');
          log.info(
            { operation: operationName ?? null, ms: Math.round(performance.now() - started), ...(codes?.length && { errors: codes }) },
            'graphql operation',
          );
        },
      };
    },
  };
}

/** Where the Sandbox page points when Apollo's CDN cannot be reached: GraphiQL, bundled here, needs no network. */
const OFFLINE_LINK = `<p>Offline? The self-hosted <a href="/graphiql">GraphiQL at /graphiql</a> needs no network.</p>`;

/**
 * Apollo Sandbox (Apollo's local landing page, embedded), with a link to /graphiql in the text
 * Apollo shows when Sandbox cannot load from its CDN, so that an offline page is not a dead end.
 */
function sandboxLandingPage(): ApolloServerPlugin {
  const sandbox = ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false });
  return {
    async serverWillStart(service) {
      const listener = await sandbox.serverWillStart!(service);
      return {
        async renderLandingPage() {
          const page = await listener!.renderLandingPage!();
          return {
            html: async () => {
              const html = typeof page.html === 'string' ? page.html : await page.html();
              // Sandbox's container lies over the whole page: while Sandbox has not put its iframe in it
              // (offline), clicks must go through it to the link (a style with the page's CSP nonce).
              const nonce = /<style nonce="?([0-9a-f]+)"?>/.exec(html)?.[1];
              const style = nonce ? `<style nonce="${nonce}">#embeddableSandbox:empty { pointer-events: none; }</style>` : '';
              // After the first paragraph of Apollo's fallback text ("...cannot be loaded; it appears that you might be offline.").
              return html.replace(/(<div class="fallback">[\s\S]*?<\/p>)/, `$1\n  ${OFFLINE_LINK}${style}`);
            },
          };
        },
      };
    },
  };
}

/**
 * Starts the API on `host:port` (PORT; 0 picks a free one). Throws `ConfigError` when a
 * TRUSTED_DOCUMENTS manifest cannot be read or is wrong, and whatever listening throws.
 */
export async function startServer(services: Services, { port = services.config.port, host = '127.0.0.1' } = {}): Promise<ApiServer> {
  const production = services.config.nodeEnv === 'production';
  const { bodyLimitBytes } = services.config;
  // Reads the TRUSTED_DOCUMENTS manifests: a wrong one stops the start here, before anything listens.
  const security = createSecurity(services);
  if (security.trustedDocumentCount !== null) {
    services.log.info({ documents: security.trustedDocumentCount, manifests: services.config.trustedDocuments }, 'trusted documents only (TRUSTED_DOCUMENTS)');
  }
  if (services.config.cors.origins === '*') services.log.warn("CORS_ORIGINS=*: pages of every origin may call this API from their visitors' browsers");
  // Slow clients (slow-loris): time limits for the headers, the whole request and idle keep-alive
  // connections, checked every second (src/security/http.ts).
  const { app, httpServer } = fastifyServer(services.config.httpTimeouts, {
    // Which proxies may name the client (X-Forwarded-For): the address rate limits count by.
    trustProxy: proxyTrust(services.config.trustProxy),
    bodyLimit: bodyLimitBytes,
    // A path that cannot be decoded is no path of the API.
    frameworkErrors: (_error, request, reply) => notFound(request, reply),
    // A request id on every log line of the request: the caller's `x-request-id` if it is a
    // plain token, a new one otherwise; sent back in the response either way.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
  });
  if (!services.config.rateLimits) services.log.warn('RATE_LIMITS=off: logIn and signUp are not rate limited');
  // The decoy hash that unknown emails are verified against exists before the first logIn (same timing).
  await decoyHash();
  const { metrics } = services;
  // Client-chosen operation names: a series each up to this cap, then one shared series.
  metrics.limitOperations(services.config.metrics.maxOperations);
  const exposure = metricsExposure(services.config);
  if (exposure.warning) services.log.warn(exposure.warning);

  const apollo = new ApolloServer<GraphQLContext>({
    typeDefs,
    resolvers: security.resolvers(resolvers, typeDefs),
    // Introspection and Sandbox off in production; CSRF prevention on; no batching; query limits.
    ...security.apollo,
    // main.ts owns signal handling: it drains Apollo, then closes PostgreSQL and Redis.
    stopOnTerminationSignals: false,
    formatError: createErrorFormatter((error) => services.log.error({ err: error }, 'unexpected error in a resolver')),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // No @cacheControl hints here: answers are per user and never stored (Cache-Control: no-store,
      // set below), and the plugin's per-field instrumentation costs every request.
      ApolloServerPluginCacheControlDisabled(),
      metrics.plugin,
      accessLog(services),
      production ? ApolloServerPluginLandingPageDisabled() : sandboxLandingPage(),
      ...security.apollo.plugins,
    ],
  });
  await apollo.start();

  app.addHook('onRequest', withRequestId);
  // Bodies are JSON, and nothing else: another content type is refused (415) by the error handler.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, parseJsonBody);
  // Anything else: a JSON 404 like every other answer; failures as JSON too (src/security/http.ts).
  app.setNotFoundHandler(notFound);
  app.setErrorHandler(jsonErrors({ bodyLimitBytes, log: (error) => services.log.error({ err: error }, 'unexpected error in the HTTP layer') }));

  app.get('/healthz', async () => ({ status: 'ok' }));
  if (exposure.onApiPort) app.get('/metrics', metricsHandler(metrics.registry, exposure.token));
  app.get('/readyz', async (_request, reply) => {
    const checks = await readiness(services);
    const ready = checks.postgres === 'ok' && (checks.redis === 'ok' || checks.redis === 'in-process');
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });
  if (!production) {
    await app.register(graphiqlRoutes({ endpoint: '/graphql' }), { prefix: '/graphiql' });
    // A browser opening the server's address lands on the playground (production keeps the 404).
    app.get('/', (_request, reply) => reply.redirect('/graphiql', 302));
  }
  // /graphql in a plugin of its own, so that CORS applies to it alone.
  await app.register(
    async (graphql) => {
      // CORS first (an onRequest hook): a preflight (OPTIONS) is answered there, 204, before CSRF prevention could refuse it.
      await graphql.register(fastifyCors, security.http.cors);
      graphql.addHook('onSend', withoutCorsForRefusedOrigins);
      // Every method, as Apollo answers them (405 for any but GET and POST).
      graphql.all(
        '/',
        {
          onRequest: (_request, reply, done) => {
            void reply.header('Cache-Control', 'no-store');
            done();
          },
          preParsing: decompressBody,
          preValidation: [
            requireJsonBody,
            // A named document (documentId, an APQ hash) becomes its text; with TRUSTED_DOCUMENTS, nothing else runs.
            security.http.trustedDocuments,
          ],
        },
        fastifyApolloHandler(apollo, { context: async (request) => security.attach(await createContext(services, request.headers.authorization), request.ip) }),
      );
    },
    { prefix: '/graphql' },
  );
  await app.ready();

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, host, resolve);
  });
  const address = httpServer.address() as AddressInfo;
  const metricsServer =
    exposure.ownPort === null
      ? null
      : await startMetricsServer({
          registry: metrics.registry,
          token: exposure.token,
          port: exposure.ownPort,
          host,
          timeouts: services.config.httpTimeouts,
        }).catch(async (error: unknown) => {
          await apollo.stop();
          throw error;
        });
  const url = `http://${host}:${address.port}`;
  return {
    url,
    metricsUrl: metricsServer?.url ?? null,
    playgrounds: production ? null : { graphiql: `${url}/graphiql`, sandbox: `${url}/graphql` },
    httpServer,
    stop: async () => {
      await Promise.all([apollo.stop(), metricsServer?.close()]);
    },
  };
}
