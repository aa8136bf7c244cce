/**
 * Running the API: validate the configuration, connect, load the demo data
 * into an empty embedded database, serve, and shut down gracefully on SIGTERM
 * or SIGINT (exiting 0 once everything is closed). The entry point is
 * src/main.ts; the benchmark's scripts/bench/server.ts runs the same with a
 * variant in place of the write-through cache.
 */
import 'dotenv/config';
import { performance } from 'node:perf_hooks';
import { ConfigError, DEVELOPMENT_JWT_SECRET, describeBackends, loadConfig } from './config.js';
import { DataDirLockedError } from './db/client.js';
import { customerEmail, databaseContents, demoDataOnStart, seedDemoData, seedSettings, CUSTOMER_PASSWORD, type SeedSettings } from './db/demo-data.js';
import { logger } from './logger.js';
import { startServer } from './server/http.js';
import { createServices, type ServiceVariant, type Services } from './services.js';
import { toError } from 'prisma-write-through';

async function main(variant?: ServiceVariant) {
  const config = loadConfig();
  if (config.jwtSecret === DEVELOPMENT_JWT_SECRET) logger.warn('JWT_SECRET is not set: using the development default (refused in production)');
  const demoData = demoDataOnStart(process.env, config) ? seedSettings(process.env) : null;
  const services = createServices(config, logger, variant);
  // A failed start closes what it opened (the embedded database cleanly) before the exit.
  const closeAndRethrow = async (error: unknown): Promise<never> => {
    await services.close().catch(() => {});
    throw error;
  };
  // Serve only once Redis is connected, unless it takes too long: then start
  // degraded (reads from PostgreSQL, writes per CACHE_WRITE_POLICY) and say so.
  const backends = describeBackends(config);
  if (!(await services.ready().catch(closeAndRethrow))) logger.warn({ cache: backends.cache }, 'Redis is not reachable: starting without it for now');
  if (demoData) await loadDemoDataIfEmpty(services, demoData).catch(closeAndRethrow);
  const server = await startServer(services, { host: process.env.HOST ?? '127.0.0.1' }).catch(closeAndRethrow);
  logger.info(
    {
      url: `${server.url}/graphql`,
      ...(server.metricsUrl && { metrics: `${server.metricsUrl}/metrics` }),
      ...backends,
      env: config.nodeEnv,
      mode: services.mode,
      corsOrigins: config.cors.origins,
    },
    `storefront API ready at ${server.url}/graphql`,
  );
  if (server.playgrounds) {
    const { graphiql, sandbox } = server.playgrounds;
    logger.info(
      { graphiql, sandbox },
      `playgrounds: GraphiQL at ${graphiql} (self-hosted, works offline), Apollo Sandbox at ${sandbox} (loads from Apollo's CDN)`,
    );
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    const started = performance.now();
    logger.info({ signal }, 'shutting down: draining requests');
    const force = setTimeout(() => {
      logger.error('shutdown took longer than 10 s: exiting');
      process.exit(1);
    }, 10_000);
    force.unref();
    try {
      await server.stop();
      const drainedMs = Math.round(performance.now() - started);
      await services.close();
      logger.info({ drainedMs, closedMs: Math.round(performance.now() - started) }, 'stopped');
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
    // Everything is closed (the embedded database too): nothing keeps the process alive, it exits 0.
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

/**
 * The first start on an empty database (the embedded one, unless
 * SEED_DEMO_DATA=true) loads the demo data, so there is a catalog and an
 * admin to sign in with; any data at all, and it does nothing.
 */
async function loadDemoDataIfEmpty(services: Services, settings: SeedSettings): Promise<void> {
  const contents = await databaseContents(services.rawDb);
  if (contents === 'no-tables') {
    logger.warn('the database has no tables: run `npm run db:migrate` (npm start does), then restart to load the demo data');
    return;
  }
  if (contents !== 'empty') return;
  logger.info({ products: settings.products, customers: settings.customers }, 'empty database: loading the demo data (SEED_DEMO_DATA=false to skip)');
  const started = performance.now();
  const { admin, products, customers } = await seedDemoData(services, settings).catch((error: unknown) => {
    throw new Error(`loading the demo data failed (run npm run db:seed, with the API stopped, to finish it): ${toError(error).message}`, { cause: error });
  });
  const password = settings.adminDefaults ? settings.adminPassword : '(SEED_ADMIN_PASSWORD)';
  const customerLogins = settings.customers > 0 ? `; customers ${customerEmail(1)}..${customerEmail(settings.customers)} / ${CUSTOMER_PASSWORD}` : '';
  logger.info(
    {
      ms: Math.round(performance.now() - started),
      admins: admin.created,
      products: products.created,
      customers: customers.created,
      cartItems: customers.cartItems,
    },
    `demo data loaded: sign in as ${settings.adminEmail} / ${password}${customerLogins}`,
  );
}

/**
 * Starts the API (see the top of this file) with the product's write-through
 * cache, or `variant` in its place. Never rejects: a failed start logs why and
 * exits the process with 1.
 */
export function runApi(variant?: ServiceVariant): Promise<void> {
  return main(variant).catch((error: unknown) => {
    if (error instanceof ConfigError) {
      logger.fatal(`invalid configuration: ${error.message}`);
    } else if (error instanceof DataDirLockedError) {
      logger.fatal(error.message);
    } else {
      logger.fatal({ err: error }, 'failed to start');
    }
    process.exit(1);
  });
}
