/**
 * A self-hosted GraphiQL playground: works offline, no CDN, no request to any
 * origin but this server. Mounted at `/graphiql` outside production (see
 * src/server/http.ts; Apollo Sandbox at /graphql loads from Apollo's CDN).
 *
 *   GET /graphiql                    the page
 *   GET /graphiql?token=<token>      the same, with `Authorization: Bearer <token>`
 *                                    prefilled in the Headers tab (the token is
 *                                    read in the browser and removed from the
 *                                    address bar; the page sends no Referer)
 *   GET /graphiql/assets/graphiql.js GraphiQL 4 + React 19, bundled by esbuild
 *                                    from node_modules on the first request and
 *                                    kept in memory
 *   GET /graphiql/assets/graphiql.css GraphiQL's stylesheet (fonts inlined)
 *   GET /graphiql/schema.graphql     the schema (SDL): the page builds it
 *                                    locally instead of introspecting
 *
 * Without `?token=`, the Headers tab shows the hint `"Authorization": "Bearer <token>"`;
 * replace `<token>` with a token from `signUp` or `logIn` (the hint itself is
 * not sent). Headers are not persisted in the browser's storage.
 *
 * Every response carries a strict Content-Security-Policy: scripts, styles and
 * connections to this origin only (styles that GraphiQL's dialogs inject carry
 * the page's nonce), images and fonts from this origin or inline `data:`.
 *
 * graphiql, react, react-dom and esbuild are development dependencies, loaded
 * only when the page is first requested: production images (which do not
 * register these routes) do not need them.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginCallback, FastifyReply } from 'fastify';
import { typeDefs } from '../graphql/schema.js';
import { toError } from 'prisma-write-through';

const here = dirname(fileURLToPath(import.meta.url));

/** The browser side, bundled with esbuild (resolved from node_modules next to this file). */
const CLIENT = String.raw`
import { createElement } from 'react';
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { buildSchema } from 'graphql';

const PLACEHOLDER = '<token>';
const meta = (name) => document.querySelector('meta[name="' + name + '"]').content;
// Styles that Radix dialogs inject (react-style-singleton, via get-nonce) carry the CSP nonce.
globalThis.__webpack_nonce__ = meta('csp-nonce');

const endpoint = meta('graphiql-endpoint');
const headersFor = (token) => JSON.stringify({ Authorization: 'Bearer ' + token }, null, 2);

// ?token=<token> prefills the Authorization header; it is then removed from the address bar.
const params = new URLSearchParams(location.search);
const token = params.get('token');
if (params.has('token')) {
  params.delete('token');
  const rest = params.toString();
  history.replaceState(history.state, '', location.pathname + (rest ? '?' + rest : '') + location.hash);
}

async function fetcher(operation, options) {
  const headers = { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' };
  for (const [name, value] of Object.entries((options && options.headers) || {})) {
    // The hint "Bearer <token>" (or an empty bearer) is not a token: send the request anonymously.
    if (name.toLowerCase() === 'authorization' && /^Bearer\s*(<token>)?\s*$/i.test(String(value))) continue;
    headers[name] = String(value);
  }
  const response = await fetch(endpoint, { method: 'POST', headers, body: JSON.stringify(operation), credentials: 'omit' });
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    return { errors: [{ message: 'HTTP ' + response.status + ': ' + text.slice(0, 500) }] };
  }
}

async function loadSchema() {
  try {
    const response = await fetch(meta('graphiql-schema'), { credentials: 'omit' });
    if (response.ok) return buildSchema(await response.text());
  } catch (error) {
    console.warn('GraphiQL: schema not loaded, falling back to introspection', error);
  }
  return undefined;
}

const DEFAULT_QUERY = [
  '# Storefront API, self-hosted GraphiQL.',
  '#',
  '# Sign in: open /graphiql?token=<token>, or',
  '# put a token from signUp or logIn in the',
  '# Headers tab below, in place of <token>.',
  '',
  '{',
  '  products(first: 5) {',
  '    edges { node { id name priceCents stock } }',
  '  }',
  '}',
  '',
].join('\n');

loadSchema().then((schema) => {
  const root = document.getElementById('graphiql');
  root.textContent = '';
  createRoot(root).render(
    createElement(GraphiQL, {
      fetcher,
      schema,
      defaultQuery: DEFAULT_QUERY,
      ...(token ? { headers: headersFor(token) } : { defaultHeaders: headersFor(PLACEHOLDER) }),
      defaultEditorToolsVisibility: 'headers',
      shouldPersistHeaders: false,
    }),
  );
});
`;

const PAGE_CSS = `
html, body, #graphiql { height: 100%; margin: 0; }
#graphiql { font-family: system-ui, sans-serif; }
`;

let bundle: Promise<Buffer> | undefined;
let stylesheet: Promise<Buffer> | undefined;

/** Bundles the client once per process (on first use); a failed build is retried on the next request. */
function clientBundle(): Promise<Buffer> {
  bundle ??= (async () => {
    const esbuild = await import('esbuild');
    const result = await esbuild.build({
      stdin: { contents: CLIENT, resolveDir: here, sourcefile: 'graphiql-client.js', loader: 'js' },
      bundle: true,
      write: false,
      format: 'iife',
      platform: 'browser',
      target: ['es2022'],
      minify: true,
      legalComments: 'eof',
      define: { 'process.env.NODE_ENV': '"production"' },
      logLevel: 'silent',
    });
    return Buffer.from(result.outputFiles[0]!.contents);
  })().catch((error: unknown) => {
    bundle = undefined;
    throw error;
  });
  return bundle;
}

function clientStylesheet(): Promise<Buffer> {
  stylesheet ??= (async () => {
    const css = await readFile(createRequire(import.meta.url).resolve('graphiql/style.css'));
    return Buffer.concat([css, Buffer.from(PAGE_CSS)]);
  })().catch((error: unknown) => {
    stylesheet = undefined;
    throw error;
  });
  return stylesheet;
}

const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function contentSecurityPolicy(endpoint: string, nonce?: string) {
  // 'self' only; an absolute endpoint on another origin is the one exception (connect-src).
  const endpointOrigin = /^https?:\/\//i.test(endpoint) ? ` ${new URL(endpoint).origin}` : '';
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self'${nonce ? ` 'nonce-${nonce}'` : ''}`,
    "img-src 'self' data:",
    "font-src 'self' data:",
    `connect-src 'self'${endpointOrigin}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function failed(reply: FastifyReply, what: string, error: unknown) {
  return reply
    .code(500)
    .type('text/plain; charset=utf-8')
    .send(`GraphiQL: ${what} failed: ${toError(error).message}`);
}

/**
 * The playground's routes, as a Fastify plugin to register with a prefix
 * (`app.register(graphiqlRoutes({ endpoint: '/graphql' }), { prefix: '/graphiql' })`):
 * the page at the prefix, its assets and the schema under it (see the top of this file).
 */
export function graphiqlRoutes(options: { endpoint: string }): FastifyPluginCallback {
  const { endpoint } = options;
  return (app, _options, done) => {
    const base = escapeHtml(app.prefix);

    app.addHook('onRequest', (_request, reply, next) => {
      void reply.headers({
        'Content-Security-Policy': contentSecurityPolicy(endpoint),
        'Referrer-Policy': 'no-referrer',
        'X-Content-Type-Options': 'nosniff',
        'Cross-Origin-Opener-Policy': 'same-origin',
        'Cross-Origin-Resource-Policy': 'same-origin',
      });
      next();
    });

    app.get('/', async (_request, reply) => {
      // Start bundling while the browser parses the page.
      clientBundle().catch(() => undefined);
      const nonce = randomBytes(16).toString('base64');
      return reply.headers({ 'Content-Security-Policy': contentSecurityPolicy(endpoint, nonce), 'Cache-Control': 'no-store' }).type('text/html; charset=utf-8')
        .send(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="graphiql-endpoint" content="${escapeHtml(endpoint)}">
<meta name="graphiql-schema" content="${base}/schema.graphql">
<meta name="csp-nonce" content="${nonce}">
<title>GraphiQL · Storefront API</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${base}/assets/graphiql.css">
<script defer src="${base}/assets/graphiql.js"></script>
</head>
<body>
<div id="graphiql">Loading GraphiQL…</div>
<noscript>GraphiQL needs JavaScript.</noscript>
</body>
</html>
`);
    });

    app.get('/assets/graphiql.js', async (_request, reply) => {
      try {
        const js = await clientBundle();
        return reply.header('Cache-Control', 'no-cache').type('application/javascript; charset=utf-8').send(js);
      } catch (error) {
        return failed(reply, 'bundling the page (are the development dependencies installed?)', error);
      }
    });

    app.get('/assets/graphiql.css', async (_request, reply) => {
      try {
        const css = await clientStylesheet();
        return reply.header('Cache-Control', 'no-cache').type('text/css; charset=utf-8').send(css);
      } catch (error) {
        return failed(reply, 'reading graphiql/style.css', error);
      }
    });

    app.get('/schema.graphql', async (_request, reply) => reply.header('Cache-Control', 'no-cache').type('text/plain; charset=utf-8').send(typeDefs));

    done();
  };
}
