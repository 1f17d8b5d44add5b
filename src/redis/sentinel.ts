/**
 * The current primary of a deployment behind Redis Sentinel, and its replicas, asked at every
 * check and analysis: after a failover the next task reads the new primary, with no
 * re-registration. The Sentinels are asked in the order given; the first that answers with a
 * primary that really is one (INFO role:master on the node itself) decides. A Sentinel that
 * cannot be reached, refuses its password or does not know the master is passed over; when none
 * answers, the failure names each one's reason (never a password).
 *
 * Commands run on the Sentinels: AUTH (sentinel_password), CLIENT SETNAME, SENTINEL
 * GET-MASTER-ADDR-BY-NAME, SENTINEL REPLICAS (SENTINEL SLAVES before Redis 5.0); on a Sentinel
 * that does not know the master name, INFO sentinel (the names it does monitor, for the message).
 * Every address a Sentinel gives is a stranger's input: it is checked like a cluster's
 * (network.allow on connect) and bounded in length.
 */
import { serverText } from '../domain/display-text.js';
import { endpointAddress, type RedisEndpoint, type SentinelSettings } from '../domain/instance.js';
import { RedisFailure } from '../domain/redis-failure.js';
import { RespConnection, type ConnectionSettings } from './resp-connection.js';
import { RedisReplyError, type Reply } from './resp-parser.js';
import { parseInfo } from './server-info.js';

/** What one Sentinel said of the master. */
export interface SentinelAnswer {
  /** `host:port` of the Sentinel that answered. */
  readonly sentinel: string;
  /** `host:port` of the primary it names. */
  readonly primary: string;
  /** Its replicas that are up, linked to the primary, as `host:port`. */
  readonly replicas: readonly string[];
}

/** The endpoint of a Sentinel: the deployment's TLS, no user, the Sentinels' own password. */
export function sentinelEndpoint(endpoint: RedisEndpoint, node: { host: string; port: number }, sentinel: SentinelSettings): RedisEndpoint {
  return { host: node.host, port: node.port, tls: endpoint.tls, username: null, password: sentinel.password, sentinel: null };
}

/**
 * Asks each Sentinel in turn until `accept` takes an answer (it checks the named primary); throws
 * RedisFailure('sentinel') naming why each one could not say, or the last refusal of `accept`.
 */
export async function askSentinels<T>(
  endpoint: RedisEndpoint & { readonly sentinel: SentinelSettings },
  settings: ConnectionSettings,
  signal: AbortSignal | undefined,
  accept: (answer: SentinelAnswer) => Promise<T>,
): Promise<T> {
  const { sentinel } = endpoint;
  const reasons: string[] = [];
  for (const node of sentinel.nodes) {
    signal?.throwIfAborted();
    const address = endpointAddress(node);
    let answer: SentinelAnswer;
    try {
      answer = await askOne(sentinelEndpoint(endpoint, node, sentinel), sentinel.masterName, settings, signal);
    } catch (error) {
      if (signal?.aborted === true || !(error instanceof RedisFailure)) throw error;
      if (error.kind === 'denied' || error.kind === 'tls') throw error;
      reasons.push(error.kind === 'sentinel' ? error.message : `${address}: ${sentinelReason(error)}`);
      continue;
    }
    try {
      return await accept(answer);
    } catch (error) {
      if (signal?.aborted === true || !(error instanceof RedisFailure) || error.kind !== 'sentinel') throw error;
      reasons.push(error.message);
    }
  }
  throw new RedisFailure('sentinel', endpointAddress(endpoint), `asked for the primary of "${serverText(sentinel.masterName)}": ${reasons.join('; ')}`);
}

function sentinelReason(error: RedisFailure): string {
  if (error.kind === 'auth') return 'it refused the Sentinel password (sentinel_password, or KEYHEAT_SENTINEL_PASSWORD for the CLI)';
  return error.message;
}

async function askOne(endpoint: RedisEndpoint, masterName: string, settings: ConnectionSettings, signal: AbortSignal | undefined): Promise<SentinelAnswer> {
  const connection = await RespConnection.connect(endpoint, { ...settings, clientName: 'keyheat' }, signal);
  const sentinel = connection.address;
  try {
    const [addr, replicas] = await connection.pipeline([
      ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName],
      ['SENTINEL', 'REPLICAS', masterName],
    ]);
    if (addr instanceof RedisReplyError) {
      const failure = connection.failureOf(addr);
      if (failure.kind === 'unsupported') throw new RedisFailure('sentinel', sentinel, `${sentinel} is not a Sentinel (it does not know the SENTINEL command)`);
      throw failure;
    }
    if (addr === null || addr === undefined) throw new RedisFailure('sentinel', sentinel, `${sentinel} monitors no master named "${serverText(masterName)}"${await monitoredNames(connection)}`);
    const primary = addressOf(addr ?? null, sentinel, 'SENTINEL GET-MASTER-ADDR-BY-NAME');
    const listed = replicas instanceof RedisReplyError ? await olderReplicas(connection, masterName, replicas) : (replicas ?? null);
    return { sentinel, primary, replicas: healthyReplicas(listed, sentinel) };
  } finally {
    connection.close();
  }
}

/** SENTINEL SLAVES, for Sentinels older than 5.0 ("ERR Unknown sentinel subcommand 'REPLICAS'"). */
async function olderReplicas(connection: RespConnection, masterName: string, refusal: RedisReplyError): Promise<Reply> {
  const failure = connection.failureOf(refusal);
  if (failure.kind !== 'unsupported' && !/unknown sentinel subcommand/i.test(refusal.message)) throw failure;
  return connection.call(['SENTINEL', 'SLAVES', masterName]);
}

/** `[ip, port]` as `host:port`; anything else is a protocol failure. */
function addressOf(reply: Reply, sentinel: string, command: string): string {
  if (Array.isArray(reply) && reply.length === 2 && Buffer.isBuffer(reply[0]) && Buffer.isBuffer(reply[1])) {
    const host = reply[0].toString('latin1');
    const port = Number(reply[1].toString('latin1'));
    if (HOST.test(host) && Number.isInteger(port) && port >= 1 && port <= 65_535) return endpointAddress({ host, port });
  }
  throw new RedisFailure('protocol', sentinel, `${sentinel} answered ${command} with something that is not an address`);
}

const HOST = /^[0-9A-Za-z.:_-]{1,253}$/;

/**
 * Replicas a Sentinel lists that a reader may use: not subjectively or objectively down, not
 * disconnected, their link to the primary up (master-link-status ok).
 */
function healthyReplicas(reply: Reply, sentinel: string): string[] {
  if (!Array.isArray(reply)) throw new RedisFailure('protocol', sentinel, `${sentinel} answered SENTINEL REPLICAS with something that is not a list`);
  const healthy: string[] = [];
  for (const entry of reply) {
    if (!Array.isArray(entry)) continue;
    const fields = new Map<string, string>();
    for (let i = 0; i + 1 < entry.length; i += 2) {
      const name = entry[i];
      const value = entry[i + 1];
      if (Buffer.isBuffer(name) && Buffer.isBuffer(value)) fields.set(name.toString('latin1'), value.toString('latin1'));
    }
    const flags = (fields.get('flags') ?? '').split(',');
    if (flags.some((flag) => flag === 's_down' || flag === 'o_down' || flag === 'disconnected')) continue;
    if (fields.get('master-link-status') !== 'ok') continue;
    const host = fields.get('ip') ?? '';
    const port = Number(fields.get('port'));
    if (HOST.test(host) && Number.isInteger(port) && port >= 1 && port <= 65_535) healthy.push(endpointAddress({ host, port }));
  }
  return healthy;
}

/** " (it monitors: a, b)" from INFO sentinel, at most 5 names; "" when it cannot say. */
async function monitoredNames(connection: RespConnection): Promise<string> {
  try {
    const info = parseInfo(await connection.text(['INFO', 'sentinel']));
    const names: string[] = [];
    for (const [field, value] of info) {
      if (!/^master\d{1,5}$/.test(field)) continue;
      const name = /(?:^|,)name=([^,]{1,128})/.exec(value)?.[1];
      if (name !== undefined) names.push(`"${serverText(name, [])}"`);
      if (names.length >= 5) break;
    }
    return names.length === 0 ? '' : ` (it monitors ${names.join(', ')})`;
  } catch (error) {
    if (error instanceof RedisFailure) return '';
    throw error;
  }
}
