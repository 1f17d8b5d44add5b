export type InstanceMode = 'single' | 'cluster';
/** Last known reachability: RUNNING when keyheat last reached it, ERROR when that failed. */
export type InstanceStatus = 'RUNNING' | 'ERROR';

/** How to reach a Redis deployment. Secrets live here and nowhere on the wire or in logs. */
export interface RedisEndpoint {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  readonly username: string | null;
  readonly password: string | null;
}

export interface Instance {
  readonly id: string;
  readonly projectId: string;
  readonly name: string;
  readonly endpoint: RedisEndpoint;
  readonly mode: InstanceMode;
  readonly engineVersion: string;
  readonly status: InstanceStatus;
  readonly createdAt: string;
  /**
   * The stored password cannot be decrypted with the configured secret key (lost or wrong key):
   * the endpoint carries no password, and analyses and preflights refuse the instance.
   */
  readonly secretUnreadable?: boolean;
}

/** The reason given for an instance whose stored password cannot be decrypted. */
export const SECRET_UNREADABLE_REASON =
  'the stored Redis password of this instance cannot be decrypted with the configured secret key (a lost or wrong key): ' +
  'restore the key (KEYHEAT_SECRET_KEY or secrets.key_file), or register the instance again with its password';

/** `host:port` with IPv6 literals bracketed; never includes credentials. */
export function endpointAddress(endpoint: Pick<RedisEndpoint, 'host' | 'port'>): string {
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  return `${host}:${endpoint.port}`;
}
