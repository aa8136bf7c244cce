/** Entry point: the API (src/run.ts has what it does, from configuration to graceful shutdown). */
import { runApi } from './run.js';

void runApi();
