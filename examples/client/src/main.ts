/**
 * Runs the example flow against an API:
 *
 *   npx tsx examples/client/src/main.ts [url]   (default http://127.0.0.1:4000/graphql)
 */
import { GraphQLRequestError } from './client.js';
import { runExample } from './run.js';

const url = process.argv[2] ?? 'http://127.0.0.1:4000/graphql';

try {
  const { orderId, totalCents } = await runExample({ url, log: (line) => console.log(line) });
  console.log(`Done: order ${orderId}, total ${(totalCents / 100).toFixed(2)}`);
} catch (error) {
  const reason =
    error instanceof GraphQLRequestError
      ? `the API answered with an error: ${error.message}`
      : error instanceof TypeError && error.message === 'fetch failed'
        ? `could not reach ${url}: is the API running? (${String((error as { cause?: unknown }).cause ?? error.message)})`
        : error instanceof Error
          ? error.message
          : String(error);
  console.error(`Example client failed: ${reason}`);
  process.exit(1);
}
