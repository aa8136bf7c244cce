/**
 * What the catalog's indexes buy at scale: seeds a scratch database with
 * 100,000 products of varied names and descriptions (bulk-loaded with COPY,
 * as scripts/bench/seed.ts does), then times the API's own catalog queries
 * (the SQL that src/db/catalog.ts builds for `products(search, sort, ...)`)
 * with EXPLAIN ANALYZE, with the indexes of migration catalog_search and
 * without them (dropped inside a transaction that is rolled back), and prints
 * a Markdown table of the medians and the plans. The figures in
 * docs/benchmarks/catalog-search.md come from it.
 *
 *   npx tsx scripts/catalog-search-bench.ts [--products 100000] [--runs 7] [--keep]
 *
 * The server is BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/postgres);
 * the scratch database `sf_catalog_bench_<random>` is created there, migrated,
 * and dropped at the end (`--keep` keeps it, and prints its name). Exits 1 on
 * any failure.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { countQuery, pageQuery, type CatalogPageRequest } from '../src/db/catalog.js';
import { Prisma } from '../src/generated/prisma/client.js';
import { createRandom, type Random } from './consistency/random.js';
import { now } from './consistency/time.js';
import { applyMigrations } from './migrations.js';

const SERVER_URL = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
/** The indexes of migration catalog_search: dropped for the "without" column. */
const CATALOG_INDEXES = ['Product_search_trgm_idx', 'Product_priceCents_id_idx', 'Product_name_lower_id_idx'];
/** Rows per chunk written to the COPY stream. */
const CHUNK = 5000;

// Names are <adjective> <material> <noun>: 36,000 names, so NAME has ties, and a noun is in about 2% of them.
const ADJECTIVES =
  'sturdy soft light heavy compact large small classic modern rustic elegant simple durable handmade vintage minimal cozy bright warm cool smooth rough slim wide tall round square folding portable washable'.split(
    ' ',
  );
const MATERIALS =
  'oak pine walnut steel brass copper glass linen cotton wool leather ceramic stone bamboo red blue green black white grey yellow navy olive amber'.split(' ');
const NOUNS = (
  'lamp chair table kettle mug blanket pillow shelf rug vase clock mirror basket bowl plate knife pan pot jar candle stool desk bench sofa towel ' +
  'curtain frame hook tray bottle cup box bag backpack wallet belt scarf hat glove sock jacket shirt boot sandal umbrella notebook pen pencil brush comb'
).split(' ');
const SYLLABLES = 'ka lo mi ne ru sa ti vo ze pa do fi gu ha je ko lu ma no pi re si to ve wa xo ya zu be da'.split(' ');

/** 3,000 distinct made-up words (2 to 4 syllables) for descriptions, by rank: drawn by a Zipf law, a few common, most rare. */
function vocabulary(random: Random): string[] {
  const words = new Set<string>();
  while (words.size < 3000) {
    let word = '';
    for (let n = random.int(2, 4); n > 0; n--) word += random.pick(SYLLABLES);
    words.add(word);
  }
  return [...words];
}

/** A word of rank r (from 1) with probability about proportional to 1/r. */
const zipf = (random: Random, words: string[]) => words[Math.min(words.length, Math.floor((words.length + 1) ** random.next())) - 1]!;

interface Product {
  name: string;
  description: string;
  sku: string;
  priceCents: number;
}

function product(random: Random, words: string[], id: number): Product {
  const [adjective, material, noun] = [random.pick(ADJECTIVES), random.pick(MATERIALS), random.pick(NOUNS)];
  const text = Array.from({ length: random.int(15, 40) }, () => zipf(random, words));
  text.splice(random.int(0, text.length), 0, `${material} ${noun}`);
  return {
    name: `${adjective[0]!.toUpperCase()}${adjective.slice(1)} ${material} ${noun}`,
    description: `${text.join(' ')}.`,
    sku: `CAT-${String(id).padStart(6, '0')}`,
    priceCents: random.int(100, 99_999),
  };
}

async function seed(client: pg.PoolClient, count: number): Promise<number> {
  const random = createRandom(42);
  const ts = '2026-01-01 00:00:00';
  function* chunks() {
    for (let start = 0; start < count; start += CHUNK) {
      let text = '';
      for (let id = start + 1; id <= Math.min(count, start + CHUNK); id++) {
        const p = product(random, WORDS, id);
        text += `${id}\t${p.sku}\t${p.name}\t${p.description}\t${p.priceCents}\t10\t1\t${ts}\t${ts}\n`;
      }
      yield text;
    }
  }
  const started = now();
  // A bulk load, not the API's writes: the change-capture trigger must not queue every row for the cache.
  await client.query(`SET prisma_write_through.tx = 'on'`);
  await pipeline(
    Readable.from(chunks(), { highWaterMark: 1 }),
    client.query(copyFrom('COPY "Product" ("id", "sku", "name", "description", "priceCents", "stock", "version", "createdAt", "updatedAt") FROM STDIN')),
  );
  await client.query(`RESET prisma_write_through.tx`);
  await client.query(`SELECT setval(pg_get_serial_sequence('"Product"', 'id'), $1)`, [count]);
  await client.query('ANALYZE "Product"');
  return now() - started;
}

/** One measured statement: what the API would send for a `products(...)` field, or a write the indexes make dearer. */
interface Case {
  label: string;
  /** The statement of the n-th run (writes touch other rows on every run). */
  sql: (run: number) => Prisma.Sql;
  /** The rows matching the search: shown beside the timings; null for writes. */
  words: readonly string[] | null;
}

const WORDS = vocabulary(createRandom(7));

function cases(): Case[] {
  const [common, rare] = [WORDS[14]!, WORDS[2499]!];
  const page = (label: string, request: Partial<CatalogPageRequest> & Pick<CatalogPageRequest, 'words'>): Case => ({
    label,
    words: request.words,
    sql: () => pageQuery({ sort: 'CREATED', size: 20, fromEnd: false, ...request }),
  });
  // 100 products a run, one in every 997 (each on a page of its own, as a checkout's few products are), each run
  // (and each phase: see `time`) others. An UPDATE is HOT, touching no index, when no indexed column changes and
  // the row's page has room for the new version (fillfactor 90); otherwise every index gets an entry, the trigram index
  // about 200.
  const write = (label: string, set: string, first: number): Case => ({
    label,
    words: null,
    sql: (run) =>
      Prisma.sql`UPDATE "Product" SET ${Prisma.raw(set)}, "version" = "version" + 1 WHERE "id" = ANY(${Array.from({ length: 100 }, (_, k) => first + run + k * 997)}::int[])`,
  });
  return [
    page('search "lamp" (a noun), sort PRICE, first 20', { words: ['lamp'], sort: 'PRICE' }),
    page('search "lamp", sort PRICE, first 20 after a cursor at 50,000 cents', { words: ['lamp'], sort: 'PRICE', after: { key: 50_000, id: 1 } }),
    page('search "oak lamp" (two words), sort NAME, first 20', { words: ['oak', 'lamp'], sort: 'NAME' }),
    page('search "Oak Lamp" (two words), sort PRICE, last 20', { words: ['Oak', 'Lamp'], sort: 'PRICE', fromEnd: true }),
    page(`search a rare word ("${rare}", rank 2,500 of 3,000), sort PRICE, first 20`, { words: [rare], sort: 'PRICE' }),
    page(`search a common word ("${common}", rank 15), sort PRICE, first 20`, { words: [common], sort: 'PRICE' }),
    page('search a sku ("cat-042137"), sort CREATED, first 20', { words: ['cat-042137'] }),
    page('search a sku prefix ("CAT-0421"), sort CREATED, first 20', { words: ['CAT-0421'] }),
    page('search two letters ("oa": no trigram), sort PRICE, first 20', { words: ['oa'], sort: 'PRICE' }),
    page('search two letters that match nothing ("qz"), sort PRICE, first 20', { words: ['qz'], sort: 'PRICE' }),
    page('search three letters that match nothing ("qzx"), sort PRICE, first 20', { words: ['qzx'], sort: 'PRICE' }),
    page('no search, sort PRICE, first 20', { words: [], sort: 'PRICE' }),
    page('no search, sort NAME, first 20 after a cursor mid-catalog', { words: [], sort: 'NAME', after: { key: 'modern oak lamp', id: 1 } }),
    page('no search, sort PRICE_DESC, last 20', { words: [], sort: 'PRICE_DESC', fromEnd: true }),
    page('no search, sort NEWEST, first 20', { words: [], sort: 'NEWEST' }),
    { label: 'totalCount of search "lamp"', words: ['lamp'], sql: () => countQuery(['lamp']) },
    { label: 'totalCount of search "oak lamp"', words: ['oak', 'lamp'], sql: () => countQuery(['oak', 'lamp']) },
    { label: 'totalCount of the whole catalog', words: [], sql: () => countQuery([]) },
    write('UPDATE the stock of 100 products (as checkout does)', '"stock" = "stock" - 1', 1),
    write('UPDATE the price of 100 products (as updateProduct does)', '"priceCents" = "priceCents" + 1', 500),
  ];
}

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

/** The plan's scans, e.g. `Bitmap Index Scan (Product_search_trgm_idx)`, `Seq Scan`. */
function scans(node: PlanNode): string[] {
  const own =
    /Scan/.test(node['Node Type']) && node['Node Type'] !== 'Bitmap Heap Scan'
      ? [`${node['Node Type']}${node['Index Name'] ? ` (${node['Index Name']})` : ''}`]
      : [];
  return [...own, ...(node.Plans ?? []).flatMap(scans)];
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

interface Timing {
  executionMs: number;
  planningMs: number;
  rows: number;
  plan: string;
}

/**
 * Median execution and planning times of `runs` EXPLAIN ANALYZE runs, after one unmeasured run (warm
 * caches); runs are numbered from `firstRun` (each phase its own numbers, so writes touch other rows).
 */
async function time(client: pg.PoolClient, c: Case, firstRun: number, runs: number): Promise<Timing> {
  let run = firstRun;
  const explain = async () => {
    const sql = c.sql(run++);
    const { rows } = await client.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql.text}`, sql.values as unknown[]);
    const [result] = (rows[0] as { 'QUERY PLAN': { Plan: PlanNode & { 'Actual Rows': number }; 'Execution Time': number; 'Planning Time': number }[] })[
      'QUERY PLAN'
    ];
    return result!;
  };
  await explain();
  const results = [];
  for (let i = 0; i < runs; i++) results.push(await explain());
  return {
    executionMs: median(results.map((r) => r['Execution Time'])),
    planningMs: median(results.map((r) => r['Planning Time'])),
    rows: results[0]!.Plan['Actual Rows'],
    plan: [...new Set(scans(results[0]!.Plan))].join(', '),
  };
}

const ms = (value: number) => (value < 10 ? value.toFixed(2) : value.toFixed(1));

async function main() {
  const { values } = parseArgs({
    options: { products: { type: 'string', default: '100000' }, runs: { type: 'string', default: '7' }, keep: { type: 'boolean', default: false } },
  });
  const products = Number(values.products);
  const runs = Number(values.runs);
  if (!Number.isInteger(products) || products < 1000) throw new Error(`--products must be an integer of at least 1000, got ${values.products}`);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be an integer of at least 1, got ${values.runs}`);

  const name = `sf_catalog_bench_${randomBytes(4).toString('hex')}`;
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  const admin = new pg.Client({ connectionString: SERVER_URL });
  await admin.connect();
  const pool = new pg.Pool({ connectionString: url.toString(), max: 1 });
  // An idle connection ended by the DROP DATABASE ... WITH (FORCE) at the end is no failure.
  pool.on('error', () => {});
  const loadAtStart = os.loadavg()[0]!;
  try {
    await applyMigrations({ databaseUrl: url.toString(), createDatabase: true });
    const client = await pool.connect();
    try {
      const seedMs = await seed(client, products);
      const version = (await client.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version;
      console.log(`# Catalog search at ${products.toLocaleString('en-US')} products\n`);
      console.log(
        `PostgreSQL ${version}, ${os.availableParallelism()} CPUs (${os.cpus()[0]?.model.trim()}), load average ${loadAtStart.toFixed(2)} at the start; ` +
          `${products.toLocaleString('en-US')} products copied in (indexes in place) in ${(seedMs / 1000).toFixed(1)} s; medians of ${runs} EXPLAIN ANALYZE runs after a warm-up.\n`,
      );

      console.log('| Index | Size | Build (REINDEX) |\n| --- | ---: | ---: |');
      for (const index of CATALOG_INDEXES) {
        const size = (await client.query<{ size: string }>(`SELECT pg_size_pretty(pg_relation_size($1::regclass)) AS size`, [`"${index}"`])).rows[0]!.size;
        const started = now();
        await client.query(`REINDEX INDEX "${index}"`);
        console.log(`| ${index} | ${size} | ${((now() - started) / 1000).toFixed(2)} s |`);
      }
      const table = (await client.query<{ size: string }>(`SELECT pg_size_pretty(pg_table_size('"Product"')) AS size`)).rows[0]!.size;
      console.log(`| (the table itself) | ${table} | |\n`);

      const withIndexes: Timing[] = [];
      for (const c of cases()) withIndexes.push(await time(client, c, 0, runs));
      const withoutIndexes: Timing[] = [];
      await client.query('BEGIN');
      try {
        for (const index of CATALOG_INDEXES) await client.query(`DROP INDEX "${index}"`);
        for (const c of cases()) withoutIndexes.push(await time(client, c, runs + 1, runs));
      } finally {
        await client.query('ROLLBACK');
      }
      const matches: (number | null)[] = [];
      for (const c of cases()) {
        const count = c.words && countQuery(c.words);
        matches.push(count && (await client.query<{ count: number }>(count.text, count.values as unknown[])).rows[0]!.count);
      }

      console.log('| Query | Matching | With the indexes: ms (planning) | Plan | Without: ms (planning) | Plan | Speed-up |');
      console.log('| --- | ---: | ---: | --- | ---: | --- | ---: |');
      cases().forEach((c, i) => {
        const [a, b] = [withIndexes[i]!, withoutIndexes[i]!];
        console.log(
          `| ${c.label} | ${matches[i]?.toLocaleString('en-US') ?? ''} | ${ms(a.executionMs)} (${ms(a.planningMs)}) | ${a.plan} | ` +
            `${ms(b.executionMs)} (${ms(b.planningMs)}) | ${b.plan} | ${c.words ? `${(b.executionMs / a.executionMs).toFixed(0)}×` : `${(a.executionMs / b.executionMs).toFixed(1)}× dearer`} |`,
        );
      });
      console.log(`\nLoad average ${os.loadavg()[0]!.toFixed(2)} at the end.`);
    } finally {
      client.release();
    }
  } finally {
    await pool.end();
    if (values.keep) console.log(`\nKept the database ${name}.`);
    else await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  }
}

try {
  await main();
} catch (error) {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 1;
}
