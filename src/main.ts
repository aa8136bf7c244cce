/**
 * Entry point: validate the configuration, connect, serve, and shut down
 * gracefully on SIGTERM or SIGINT.
 */
import 'dotenv/config';
import { ConfigError, DEVELOPMENT_JWT_SECRET, describeBackends, loadConfig } from './config.js';
import { logger } from './logger.js';
import { startServer } from './server/http.js';
import { createServices } from './services.js';

async function main() {
  const config = loadConfig();
  if (config.jwtSecret === DEVELOPMENT_JWT_SECRET) logger.warn('JWT_SECRET is not set: using the development default (refused in production)');
  const services = createServices(config);
  // Serve only once Redis is connected, unless it takes too long: then start
  // degraded (reads from PostgreSQL, writes per CACHE_WRITE_POLICY) and say so.
  const backends = describeBackends(config);
  if (!(await services.ready())) logger.warn({ cache: backends.cache }, 'Redis is not reachable: starting without it for now');
  const server = await startServer(services, { host: process.env.HOST ?? '127.0.0.1' });
  logger.info(
    { url: `${server.url}/graphql`, ...(server.metricsUrl && { metrics: `${server.metricsUrl}/metrics` }), ...backends, env: config.nodeEnv, mode: config.apiMode },
    `storefront API ready at ${server.url}/graphql`,
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: draining requests');
    const force = setTimeout(() => {
      logger.error('shutdown took longer than 10 s: exiting');
      process.exit(1);
    }, 10_000);
    force.unref();
    await server.stop();
    await services.close();
    logger.info('stopped');
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    logger.fatal(`invalid configuration: ${error.message}`);
  } else {
    logger.fatal({ err: error }, 'failed to start');
  }
  process.exit(1);
});
