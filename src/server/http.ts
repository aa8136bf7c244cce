/**
 * The HTTP server: Express 5 with Apollo Server 5 at /graphql, liveness at
 * /healthz and readiness (PostgreSQL and Redis) at /readyz.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import {
  ApolloServerPluginLandingPageLocalDefault,
  ApolloServerPluginLandingPageProductionDefault,
} from '@apollo/server/plugin/landingPage/default';
import express from 'express';
import { createContext, type GraphQLContext } from '../graphql/context.js';
import { createErrorFormatter } from '../graphql/errors.js';
import { resolvers } from '../graphql/resolvers/index.js';
import { typeDefs } from '../graphql/schema.js';
import type { Services } from '../services.js';

export interface ApiServer {
  /** Base URL once listening, e.g. `http://127.0.0.1:4000`. */
  url: string;
  httpServer: http.Server;
  /** Stops accepting requests, lets in-flight ones finish, then closes connections. */
  stop(): Promise<void>;
}

/** Largest request body accepted, in bytes. */
const BODY_LIMIT = '100kb';

async function readiness(services: Services) {
  const check = async (probe: () => Promise<unknown>) => {
    try {
      await probe();
      return 'ok';
    } catch (error) {
      return `unavailable: ${error instanceof Error ? error.message : String(error)}`;
    }
  };
  const [postgres, redis] = await Promise.all([
    check(() => services.rawDb.$queryRaw`SELECT 1`),
    check(() => services.store.ping()),
  ]);
  return { postgres, redis };
}

export async function startServer(services: Services, { port = services.config.port, host = '127.0.0.1' } = {}): Promise<ApiServer> {
  const production = services.config.nodeEnv === 'production';
  const app = express();
  app.disable('x-powered-by');
  const httpServer = http.createServer(app);
  const { metrics } = services;

  const apollo = new ApolloServer<GraphQLContext>({
    typeDefs,
    resolvers,
    introspection: !production,
    includeStacktraceInErrorResponses: false,
    // main.ts owns signal handling: it drains Apollo, then closes PostgreSQL and Redis.
    stopOnTerminationSignals: false,
    formatError: createErrorFormatter((error) => services.log.error({ err: error }, 'unexpected error in a resolver')),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      metrics.plugin,
      production
        ? ApolloServerPluginLandingPageProductionDefault({ footer: false })
        : ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false }),
    ],
  });
  await apollo.start();

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.get('/readyz', async (_req, res) => {
    const checks = await readiness(services);
    const ready = checks.postgres === 'ok' && checks.redis === 'ok';
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks });
  });
  app.use(
    '/graphql',
    express.json({ limit: BODY_LIMIT }),
    expressMiddleware(apollo, { context: ({ req }) => createContext(services, req.headers.authorization) }),
  );

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, host, resolve);
  });
  const address = httpServer.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}`,
    httpServer,
    stop: () => apollo.stop(),
  };
}
