/**
 * The cached-blog schema's Prisma Client and entity metadata, generated into
 * test/generated/cached-blog/ (gitignored) by the package tests' global setup
 * with the real `prisma generate`, offline (see `prismaGenerate`). Skipped
 * when the inputs have not changed since the last run: the fixture, this
 * package's generator source and the Prisma version.
 */
import { createHash } from 'node:crypto';
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageDir, prismaGenerate } from '../support.js';

export const fixture = path.join(packageDir, 'test', 'fixtures', 'cached-blog.prisma');
/** Where the client (`prisma/client.ts`) and the metadata (`entities.ts`) go: the fixture's own outputs. */
export const outputDir = path.join(packageDir, 'test', 'generated', 'cached-blog');
const stamp = path.join(outputDir, 'inputs.sha256');

async function inputsHash(): Promise<string> {
  const hash = createHash('sha256');
  const prisma = createRequire(import.meta.url)('prisma/package.json') as { version: string };
  hash.update(`prisma ${prisma.version}\n`).update(await readFile(fixture));
  const generatorDir = path.join(packageDir, 'src', 'generator');
  for (const file of (await readdir(generatorDir)).sort()) hash.update(file).update(await readFile(path.join(generatorDir, file)));
  return hash.digest('hex');
}

/** Generates the client and the metadata unless they are current; resolves to whether it ran `prisma generate`. */
export async function generateCachedBlog(): Promise<boolean> {
  const hash = await inputsHash();
  if ((await readFile(stamp, 'utf8').catch(() => '')) === hash) return false;
  await rm(outputDir, { recursive: true, force: true });
  // Written from outputDir, whose outputs are then ./prisma and ./entities.ts.
  const schema = (await readFile(fixture, 'utf8')).replaceAll('"../generated/cached-blog/', '"./');
  await prismaGenerate(schema, outputDir);
  await writeFile(stamp, hash);
  return true;
}

// `tsx test/cached-blog/generate.ts` (the package's `pretypecheck`): the type checker needs them too.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await generateCachedBlog();
