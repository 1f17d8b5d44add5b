/**
 * The connections of one piece of work (an analysis, a check of an instance) to the nodes of
 * one deployment, by `host:port`, opened with the deployment's credentials.
 *
 * Bounded: at most `maxConnections` are open or opening at once. When the bound is reached an
 * idle shared connection is closed to make room, or the caller waits for one to close. A
 * cluster that announces hundreds of nodes therefore never makes keyheat open hundreds of
 * connections at once.
 *
 * Cancellable: aborting the pool's signal (or closeAll) closes every connection, including
 * ones still connecting or authenticating, so in-flight work fails at once.
 */
import { setMaxListeners } from 'node:events';
import type { RedisEndpoint } from '../domain/instance.js';
import { RedisFailure } from '../domain/redis-failure.js';
import { RespConnection, type ConnectionSettings } from './resp-connection.js';

export const CLIENT_NAME = 'keyheat';

export interface PoolSettings extends ConnectionSettings {
  readonly maxConnections: number;
}

/** How often a caller waiting for room looks again for an idle connection to close. */
const ROOM_POLL_MS = 50;

export class NodePool {
  /** Shared connections by address, being opened or open. */
  private readonly shared = new Map<string, Promise<RespConnection>>();
  /** The open shared connections, least recently used first: the ones to close for room. */
  private readonly sharedOpen = new Map<string, RespConnection>();
  private readonly live = new Set<RespConnection>();
  /** How many pieces of work are using each shared connection right now. */
  private readonly users = new Map<RespConnection, number>();
  private opening = 0;
  private readonly waiters = new Set<() => void>();
  private readonly lifetime = new AbortController();
  /** The most connections open or opening at once so far (never above settings.maxConnections). */
  highWater = 0;

  private readonly onOuterAbort = (): void => this.closeAll();

  /** `signal` (a task's, the service's lifetime) closes the pool when it aborts. */
  constructor(
    private readonly credentials: Pick<RedisEndpoint, 'tls' | 'username' | 'password'>,
    readonly settings: PoolSettings,
    private readonly outer?: AbortSignal,
  ) {
    // Every connect in progress listens to it: up to maxConnections at once.
    setMaxListeners(0, this.lifetime.signal);
    if (outer?.aborted === true) this.closeAll();
    else outer?.addEventListener('abort', this.onOuterAbort, { once: true });
  }

  /** Aborted when the pool closes: work that waits on something else should stop then too. */
  get signal(): AbortSignal {
    return this.lifetime.signal;
  }

  /**
   * Runs `work` on the shared connection to a node (short commands: probes, redirects,
   * topology, INFO). While `work` runs, the connection is not closed to make room.
   */
  async withShared<T>(address: string, work: (connection: RespConnection) => Promise<T>): Promise<T> {
    const connection = await this.acquireShared(address);
    try {
      return await work(connection);
    } finally {
      const users = (this.users.get(connection) ?? 1) - 1;
      if (users > 0) this.users.set(connection, users);
      else this.users.delete(connection);
    }
  }

  private async acquireShared(address: string): Promise<RespConnection> {
    for (;;) {
      // Checked and counted in one synchronous step: nothing can close it in between.
      const open = this.sharedOpen.get(address);
      if (open?.isOpen === true) {
        this.sharedOpen.delete(address);
        this.sharedOpen.set(address, open);
        this.users.set(open, (this.users.get(open) ?? 0) + 1);
        return open;
      }
      await this.openShared(address);
    }
  }

  private openShared(address: string): Promise<RespConnection> {
    let opening = this.shared.get(address);
    if (opening !== undefined) return opening;
    opening = this.open(address);
    this.shared.set(address, opening);
    const forget = (): void => {
      if (this.shared.get(address) === opening) this.shared.delete(address);
    };
    opening.then((connection) => {
      this.sharedOpen.set(address, connection);
      connection.onClose(() => {
        forget();
        if (this.sharedOpen.get(address) === connection) this.sharedOpen.delete(address);
      });
    }, forget);
    return opening;
  }

  /** A connection of its own (a node's scan, whose pipeline must not be shared); close it when done. */
  async open(address: string): Promise<RespConnection> {
    await this.reserveRoom(address);
    try {
      const connection = await RespConnection.connect(this.endpointOf(address), { ...this.settings, clientName: CLIENT_NAME }, this.lifetime.signal);
      this.live.add(connection);
      connection.onClose(() => {
        this.live.delete(connection);
        this.wake();
      });
      return connection;
    } finally {
      this.opening -= 1;
      this.wake();
    }
  }

  endpointOf(address: string): RedisEndpoint {
    const { host, port } = splitAddress(address);
    const { tls, username, password } = this.credentials;
    return { host, port, tls, username, password };
  }

  /** Closes every connection; the pool cannot be used afterwards. Call it when the work is done. */
  closeAll(): void {
    this.outer?.removeEventListener('abort', this.onOuterAbort);
    if (!this.lifetime.signal.aborted) this.lifetime.abort(new RedisFailure('cancelled', '', 'the work on this Redis was stopped'));
    for (const connection of [...this.live]) connection.close();
    this.shared.clear();
    this.sharedOpen.clear();
    this.wake();
  }

  /** Waits for room, then counts the connection as opening in the same synchronous step. */
  private async reserveRoom(address: string): Promise<void> {
    for (;;) {
      if (this.lifetime.signal.aborted) throw new RedisFailure('cancelled', address, `the work on ${address} was stopped`);
      if (this.live.size + this.opening < this.settings.maxConnections) {
        this.opening += 1;
        this.highWater = Math.max(this.highWater, this.live.size + this.opening);
        return;
      }
      if (this.closeIdleShared()) continue;
      await this.waitForRoom();
    }
  }

  /** Closes the least recently used shared connection with nothing in flight. */
  private closeIdleShared(): boolean {
    for (const [address, connection] of this.sharedOpen) {
      if (!connection.idle || this.users.has(connection)) continue;
      this.sharedOpen.delete(address);
      connection.close();
      return true;
    }
    return false;
  }

  /** Until a connection closes, or a short while (a busy shared connection may have gone idle). */
  private waitForRoom(): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ROOM_POLL_MS);
      this.waiters.add(done);
    });
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

/** `host:port` (IPv6 hosts in brackets) into its parts. */
export function splitAddress(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  return { host: address.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port: Number(address.slice(colon + 1)) };
}
