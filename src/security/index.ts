/**
 * The security layer, assembled from the configuration: query limits, the
 * execution timeout, rate limits, secret redaction, and the HTTP edge. The
 * server (src/server/http.ts) plugs these parts into Fastify and Apollo.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import type { Services } from '../services.js';
import { refuseNulCharacters } from './input.js';
import { queryLimits } from './limits.js';
import { createRateLimiter, unlimited, type RateLimiter } from './rate-limit.js';
import { redactValues, registerSecret, secretValuesIn } from './redact.js';
import { attachSecurity } from './request.js';
import { Deadline, timeoutPlugin, withDeadlines } from './timeout.js';
import { corsOptions } from './cors.js';
import { loadTrustedDocuments, trustedDocumentsHook } from './trusted-documents.js';
import { toError } from 'prisma-write-through';

export { decompressBody, fastifyServer, httpServerOptions, jsonErrors, notFound, parseJsonBody, proxyTrust, requireJsonBody, withRequestId } from './http.js';
export { securityOf } from './request.js';
export { countLogIn, ipSubject, tooManyRequests, type RateLimiter } from './rate-limit.js';

/** Cuts the request's passwords (and other secret-named variables) out of error messages that echo them. */
function redactEchoedSecrets(): ApolloServerPlugin<object> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ request, errors }) {
          const secrets = secretValuesIn(request.variables);
          if (secrets.length === 0) return;
          for (const error of errors) {
            const redacted = redactValues(error.message, secrets);
            if (redacted !== error.message) error.message = redacted;
          }
        },
      };
    },
  };
}

/**
 * The security layer for one server, from `services.config`: Apollo options
 * and plugins (query limits, CSRF prevention, timeout, redaction), the
 * resolver wrapper enforcing the deadline, `attach`, which gives each
 * request's context its client IP, rate limiter and deadline, and the HTTP
 * parts of /graphql (CORS, trusted documents). Throws `ConfigError`
 * when a TRUSTED_DOCUMENTS manifest cannot be read or is wrong.
 */
export function createSecurity(services: Services) {
  const { config } = services;
  const production = config.nodeEnv === 'production';
  registerSecret(config.jwtSecret);
  const limiter: RateLimiter = config.rateLimits
    ? createRateLimiter({
        redis: services.redis,
        namespace: config.cacheNamespace,
        limits: config.rateLimits,
        keySecret: config.jwtSecret,
        onStoreError: (error) => services.log.warn({ err: toError(error).message }, 'rate limiter store failed; request allowed'),
      })
    : unlimited;
  const limits = queryLimits(config.queryLimits, { production });
  const trustedDocuments = config.trustedDocuments ? loadTrustedDocuments(config.trustedDocuments) : null;

  return {
    /** Options for `new ApolloServer(...)`. */
    apollo: {
      introspection: !production,
      csrfPrevention: true,
      includeStacktraceInErrorResponses: false,
      allowBatchedHttpRequests: limits.allowBatchedHttpRequests,
      parseOptions: limits.parseOptions,
      validationRules: limits.validationRules,
      plugins: [...limits.plugins, refuseNulCharacters, timeoutPlugin(), redactEchoedSecrets()],
      // With trusted documents, Apollo's automatic persisted queries are off: a client must never
      // register a document of its own; src/security/trusted-documents.ts resolves hashes instead.
      ...(trustedDocuments && { persistedQueries: false as const }),
    },
    /** How many trusted documents the manifests hold; null when TRUSTED_DOCUMENTS is unset (any document runs). */
    trustedDocumentCount: trustedDocuments?.size ?? null,
    /** For /graphql: `@fastify/cors`'s options (its hook answers preflights), and the trusted documents' `preValidation` hook (after the JSON parser). */
    http: { cors: corsOptions(config.cors), trustedDocuments: trustedDocumentsHook(trustedDocuments) },
    /** Wraps a resolver map so every resolver respects the request's deadline. */
    resolvers: <T extends object>(resolvers: T, typeDefs: string) => withDeadlines(resolvers, typeDefs),
    /** Attaches the request's security state (the client's address `ip`, limiter, deadline) to its GraphQL context. */
    attach<T extends object>(context: T, ip: string | undefined): T {
      attachSecurity(context, { ip, limiter, deadline: new Deadline(config.requestTimeoutMs) });
      return context;
    },
  };
}
