#!/usr/bin/env node
/**
 * The generator's executable, the `provider` of a generator block:
 * `prisma generate` starts it and talks JSON-RPC with it over stdin/stderr
 * (`generatorHandler` of `@prisma/generator-helper` runs that loop).
 * Run by hand, it waits for Prisma's messages on stdin.
 */
// @prisma/generator-helper is CommonJS whose named exports Node's ESM loader cannot see: default import.
import generatorHelper from '@prisma/generator-helper';
import { handler } from './handler.js';

generatorHelper.generatorHandler(handler);
