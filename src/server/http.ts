/**
 * The HTTP server: Express 5 with Apollo Server 5 at /graphql, liveness at
 * /healthz and readiness (PostgreSQL and Redis) at /readyz; /metrics here or on
 * METRICS_PORT, per `metricsExposure` (src/metrics.ts). Outside production,
 * the playgrounds: Apollo Sandbox at /graphql (to a browser), the self-hosted
 * GraphiQL at /graphiql, and `/` redirects to GraphiQL.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import express from 'express';
import { randomUUID } from 'node:crypto';
import { requestContext } from '../logger.js';
import { createContext, type GraphQLContext } from '../graphql/context.js';
import { createErrorFormatter, ErrorCode } from '../graphql/errors.js';
import { resolvers } from '../graphql/resolvers/index.js';
import { typeDefs } from '../graphql/schema.js';
import { decoyHash } from '../auth/passwords.js';
import { createSecurity, httpServerOptions, jsonErrors, requireJsonBody } from '../security/index.js';
import { redactSecrets } from '../security/redact.js';
import type { Services } from '../services.js';
import { graphiqlRouter } from './graphiql.js';
import { metricsExposure, metricsHandler, startMetricsServer } from '../metrics.js';
import { toError } from 'prisma-write-through';

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
  const app = express();
  app.disable('x-powered-by');
  // Which proxies may name the client (X-Forwarded-For): the address rate limits count by.
  app.set('trust proxy', services.config.trustProxy);
  // Reads the TRUSTED_DOCUMENTS manifests: a wrong one stops the start here, before anything listens.
  const security = createSecurity(services);
  if (security.trustedDocumentCount !== null) {
    services.log.info({ documents: security.trustedDocumentCount, manifests: services.config.trustedDocuments }, 'trusted documents only (TRUSTED_DOCUMENTS)');
  }
  if (services.config.cors.origins === '*') services.log.warn("CORS_ORIGINS=*: pages of every origin may call this API from their visitors' browsers");
  // Slow clients (slow-loris): time limits for the headers, the whole request and idle keep-alive
  // connections, checked every second (src/security/http.ts).
  const httpServer = http.createServer(httpServerOptions(services.config.httpTimeouts), app);
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

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  if (exposure.onApiPort) app.get('/metrics', metricsHandler(metrics.registry, exposure.token));
  app.get('/readyz', async (_req, res) => {
    const checks = await readiness(services);
    const ready = checks.postgres === 'ok' && (checks.redis === 'ok' || checks.redis === 'in-process');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks });
  });
  // A request id on every log line of the request: the caller's `x-request-id` if it is a
  // plain token, a new one otherwise; sent back in the response either way.
  app.use((req, res, next) => {
    const given = req.get('x-request-id');
    const requestId = given && /^[A-Za-z0-9._-]{1,64}$/.test(given) ? given : randomUUID();
    res.set('x-request-id', requestId);
    requestContext.run({ requestId }, next);
  });
  if (!production) {
    app.use('/graphiql', graphiqlRouter({ endpoint: '/graphql' }));
    // A browser opening the server's address lands on the playground (production keeps the 404).
    app.get('/', (_req, res) => res.redirect(302, '/graphiql'));
  }
  app.use(
    '/graphql',
    // CORS first: a preflight (OPTIONS) is answered there, 204, before CSRF prevention could refuse it.
    security.http.cors,
    (_req: express.Request, res: express.Response, next: express.NextFunction) => {
      res.set('Cache-Control', 'no-store');
      next();
    },
    express.json({ limit: services.config.bodyLimitBytes }),
    requireJsonBody,
    // A named document (documentId, an APQ hash) becomes its text; with TRUSTED_DOCUMENTS, nothing else runs.
    security.http.trustedDocuments,
    expressMiddleware(apollo, { context: async ({ req }) => security.attach(await createContext(services, req.headers.authorization), req) }),
    jsonErrors({ bodyLimitBytes: services.config.bodyLimitBytes, log: (error) => services.log.error({ err: error }, 'unexpected error at /graphql') }),
  );
  // Anything else: a JSON 404 like every other answer, not Express's HTML page.
  app.use((_req: express.Request, res: express.Response) => {
    res.status(404).json({ errors: [{ message: 'Not found: the API is at /graphql', extensions: { code: ErrorCode.NOT_FOUND } }] });
  });

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
