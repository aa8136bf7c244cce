/** Once per run of the package tests: the cached-blog schema's generated client and metadata (test/cached-blog/generate.ts). */
import { generateCachedBlog } from './cached-blog/generate.js';

export default async function setup(): Promise<void> {
  await generateCachedBlog();
}
