/**
 * Connections to the nodes of one deployment by `host:port`, opened on first use with the
 * deployment's credentials, all closed together (and at once when the analysis is cancelled).
 */
import { endpointAddress, type RedisEndpoint } from '../domain/instance.js';
import { classifyRedisError } from '../redis/classify-redis-error.js';
import { RespConnection } from '../redis/resp-connection.js';

export const CLIENT_NAME = 'keyheat';

export class NodePool {
  private readonly connections = new Map<string, Promise<RespConnection>>();
  private readonly opened = new Set<RespConnection>();
  private closed = false;

  constructor(
    private readonly credentials: Pick<RedisEndpoint, 'tls' | 'username' | 'password'>,
    private readonly timeouts: { connectTimeoutMs: number; commandTimeoutMs: number },
  ) {}

  /** The shared connection to a node (for short commands: probes, redirects, topology). */
  async get(address: string): Promise<RespConnection> {
    const cached = this.connections.get(address);
    if (cached !== undefined) {
      const connection = await cached.catch(() => null);
      if (connection?.isOpen === true) return connection;
    }
    const opening = this.open(address);
    this.connections.set(address, opening);
    opening.catch(() => this.connections.delete(address));
    return opening;
  }

  /** A connection of its own (a node's scan, whose pipeline must not be shared). */
  async open(address: string): Promise<RespConnection> {
    if (this.closed) throw classifyRedisError(new Error('analysis stopped'), address);
    const endpoint = this.endpointOf(address);
    try {
      const connection = await RespConnection.connect(endpoint, { clientName: CLIENT_NAME, ...this.timeouts });
      if (this.closed) {
        connection.close();
        throw new Error('analysis stopped');
      }
      this.opened.add(connection);
      return connection;
    } catch (error) {
      throw classifyRedisError(error, address);
    }
  }

  endpointOf(address: string): RedisEndpoint {
    const { host, port } = splitAddress(address);
    const { tls, username, password } = this.credentials;
    return { host, port, tls, username, password };
  }

  closeAll(): void {
    this.closed = true;
    for (const connection of this.opened) connection.close();
    this.opened.clear();
    this.connections.clear();
  }
}

export function splitAddress(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  return { host: address.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port: Number(address.slice(colon + 1)) };
}

/** One connection to one endpoint, errors classified (registration, preflight). */
export async function connectEndpoint(
  endpoint: RedisEndpoint,
  timeouts: { connectTimeoutMs: number; commandTimeoutMs: number },
): Promise<RespConnection> {
  try {
    return await RespConnection.connect(endpoint, { clientName: CLIENT_NAME, ...timeouts });
  } catch (error) {
    throw classifyRedisError(error, endpointAddress(endpoint));
  }
}
