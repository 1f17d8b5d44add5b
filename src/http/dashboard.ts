/**
 * The dashboard: the Vite build of web/ (dist/web, made by `npm run build`), served at `/` as
 * static files. It is a client of the public API like any other: no route of its own beyond
 * its files. Hash routing (#/instances/...) keeps every page at `/`, so no fallback route is
 * needed. Hashed assets are cached for a year; index.html is revalidated on every load, so a new
 * build is picked up at once.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/**
 * What the dashboard's pages may do, and nothing more: its own scripts and styles only (no
 * inline script, so an injected one would not run), no framing (clickjacking), no referrer sent.
 * Chart.js draws on canvas and sets styles through the CSSOM, which style-src does not govern.
 */
export const DASHBOARD_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; " +
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

/** dist/web beside dist/http (built), or beside src/http when run from sources (tsx, tests). */
export function dashboardRoot(): string | null {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const candidate of [path.resolve(here, '../web'), path.resolve(here, '../../dist/web')]) {
    if (existsSync(path.join(candidate, 'index.html'))) return candidate;
  }
  return null;
}

export async function registerDashboard(app: FastifyInstance, root: string | null = dashboardRoot()): Promise<void> {
  if (root === null) {
    app.log.warn('the dashboard is not built (npm run build makes dist/web): / answers 404');
    return;
  }
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    wildcard: false,
    index: ['index.html'],
    schemaHide: true,
    setHeaders: (reply, file) => {
      void reply.header('Cache-Control', file.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache');
      for (const [name, value] of Object.entries(DASHBOARD_SECURITY_HEADERS)) void reply.header(name, value);
    },
  });
}
