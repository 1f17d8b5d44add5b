import { createKeyheat, type Keyheat } from '../app.js';
import { configFromArgs } from './config-flags.js';
import { localUrlHost } from './local-address.js';
import { createLogger } from './logger.js';
import { EXIT } from './usage-error.js';

/** After a second SIGTERM or Ctrl-C, the process is gone within this long, whatever it waits on. */
const FORCED_EXIT_MS = 2000;

export async function serveCommand(args: readonly string[]): Promise<number> {
  const config = configFromArgs(args, ['config', 'host', 'port', 'data-dir']);
  const logger = createLogger(config.log.level);
  const keyheat = await createKeyheat(config, logger);
  printBootstrap(keyheat);
  try {
    await keyheat.http.listen({ host: config.server.host, port: config.server.port });
  } catch (error) {
    await keyheat.close();
    throw error;
  }
  keyheat.start();
  const address = keyheat.http.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.server.port;
  const scheme = config.server.tls === undefined ? 'http' : 'https';
  process.stdout.write(`keyheat is listening on ${scheme}://${config.server.host}:${port} (store: ${keyheat.store.description})\n`);

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: handing running analyses back now');
        keyheat.runner.hurry();
        // A backstop: the hand-back takes milliseconds, but nothing may hold the exit longer.
        setTimeout(() => {
          logger.error('stop did not finish within 2 s of the second signal; exiting anyway');
          process.exit(EXIT.failure);
        }, FORCED_EXIT_MS).unref();
        return;
      }
      stopping = true;
      logger.info({ signal, grace_ms: config.runner.shutdown_grace_ms }, 'stopping: no new tasks are claimed; running analyses get the grace period');
      keyheat
        .close(config.runner.shutdown_grace_ms)
        .then(() => resolve(EXIT.ok))
        .catch((error: unknown) => {
          logger.error({ err: error }, 'error while stopping');
          resolve(EXIT.failure);
        });
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}

/**
 * The first start's token goes to stderr as a block of its own, never into the JSON log lines
 * on stdout: log collectors keep stdout, and a token must not end up in them.
 */
function printBootstrap(keyheat: Keyheat): void {
  const { projectId, newAdminToken } = keyheat.bootstrap;
  if (projectId === null) return;
  if (newAdminToken !== null) {
    process.stderr.write(
      [
        '',
        'keyheat created a default project and an admin token. The token is shown only this once:',
        `  project_id:    ${projectId}`,
        `  X-Auth-Token:  ${newAdminToken}`,
        'Try it:',
        `  curl -H 'X-Auth-Token: ${newAdminToken}' ${keyheat.config.server.tls === undefined ? 'http' : 'https'}://${localUrlHost(keyheat.config.server.host)}:${keyheat.config.server.port}/v2/${projectId}/instances`,
        '',
      ].join('\n') + '\n',
    );
  } else {
    process.stderr.write(
      `keyheat project_id: ${projectId} (the admin token was printed at the first start; ` +
        `to replace it, stop keyheat and run: keyheat token reset --data-dir ${keyheat.config.data_dir})\n`,
    );
  }
}
