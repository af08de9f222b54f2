// The operators' dashboard as the relay serves it: the static page of tools/relay/dashboard/ at
// /dashboard/ (plain browser ES modules, no build step) and Chart.js's browser build from its npm
// package at /dashboard/vendor/ — from this machine, never a CDN. The page holds a bearer token,
// so every file goes out with a Content-Security-Policy allowing scripts, styles and requests to
// this relay only, and no referrer.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { DASHBOARD_PATH } from './dashboard-link.ts';

const DASHBOARD_DIR = fileURLToPath(new URL('../dashboard/', import.meta.url));
/** Chart.js's UMD build: one file, no imports, defines the global `Chart`. */
const CHART_FILE = 'chart.umd.min.js';

const CONTENT_SECURITY_POLICY = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
  "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');

function securityHeaders(res: { setHeader(name: string, value: string): unknown }): void {
  res.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('cache-control', 'no-cache');
}

export async function serveDashboard(app: FastifyInstance): Promise<void> {
  const chartDist = dirname(createRequire(import.meta.url).resolve('chart.js'));
  // prefix without its slash: /dashboard redirects to /dashboard/ (the page's relative URLs need it)
  await app.register(fastifyStatic, { root: DASHBOARD_DIR, prefix: DASHBOARD_PATH.slice(0, -1), index: 'index.html', redirect: true, setHeaders: securityHeaders });
  await app.register(fastifyStatic, {
    root: chartDist, prefix: `${DASHBOARD_PATH}vendor/`, decorateReply: false, setHeaders: securityHeaders,
    allowedPath: (path) => path === `/${CHART_FILE}`,
  });
}
