/**
 * The API with one of the benchmark's variants (scripts/bench/variants.ts) in
 * place of the write-through cache: `BENCH_VARIANT=no-cache|naive|cache-aside|ceiling`
 * (unset or `write-through`: the product, as `src/main.ts` runs it). Every other
 * setting is the API's own (src/config.ts). Started by scripts/bench/run-mode.ts
 * as `node --import tsx scripts/bench/server.ts`.
 */
import { runApi } from '../../src/run.js';
import { VARIANTS, type VariantName } from './variants.js';

const name = process.env.BENCH_VARIANT || 'write-through';
if (name !== 'write-through' && !(name in VARIANTS)) {
  console.error(`BENCH_VARIANT must be write-through or one of ${Object.keys(VARIANTS).join(', ')}, got ${JSON.stringify(name)}`);
  process.exit(1);
}
void runApi(name === 'write-through' ? undefined : VARIANTS[name as VariantName]);
