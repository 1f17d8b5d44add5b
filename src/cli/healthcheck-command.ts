/**
 * `keyheat healthcheck`: asks this machine's keyheat serve for GET /readyz and exits 0 when it
 * answers ready, 1 otherwise, with one line saying why. It reads the same configuration as serve
 * (file, environment, flags), so it finds the port and scheme serve listens on: the container
 * image's HEALTHCHECK, and any supervisor without curl, run it.
 */
import http from 'node:http';
import https from 'node:https';
import { configFromArgs } from './config-flags.js';
import { localUrlHost } from './local-address.js';
import { EXIT } from './usage-error.js';

/** The whole probe, connection to last byte, is given up after this long. */
const TIMEOUT_MS = 4000;

export async function healthcheckCommand(args: readonly string[]): Promise<number> {
  const config = configFromArgs(args, ['config', 'host', 'port']);
  const tls = config.server.tls !== undefined;
  const url = new URL(`${tls ? 'https' : 'http'}://${localUrlHost(config.server.host)}:${config.server.port}/readyz`);
  const outcome = await probe(url, tls);
  if (outcome === 'ready') return EXIT.ok;
  process.stderr.write(`keyheat healthcheck: ${url.href}: ${outcome}\n`);
  return EXIT.failure;
}

function probe(url: URL, tls: boolean): Promise<string> {
  return new Promise((resolve) => {
    const request = (tls ? https : http).get(url, tls ? { rejectUnauthorized: false } : {}, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        if (body.length < 1024) body += chunk;
      });
      response.on('end', () => resolve(response.statusCode === 200 ? 'ready' : `HTTP ${response.statusCode ?? '?'} ${body.slice(0, 200)}`));
      response.on('error', (error) => resolve(error.message));
    });
    const timer = setTimeout(() => request.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
    request.on('close', () => clearTimeout(timer));
    request.on('error', (error) => resolve(error.message));
  });
}
