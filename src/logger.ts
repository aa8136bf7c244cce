/** Structured JSON logs (pino). `LOG_LEVEL` sets the level; tests default to silent. */
import { pino } from 'pino';

export const logger = pino({
  level: process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' || process.env.VITEST ? 'silent' : 'info'),
  redact: { paths: ['*.password', '*.passwordHash', '*.token', 'req.headers.authorization'], censor: '[redacted]' },
});
export type Logger = typeof logger;
