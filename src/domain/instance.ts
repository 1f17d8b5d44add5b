/** A standalone server, a Redis Cluster, or a primary found through Redis Sentinel. */
export type InstanceMode = 'single' | 'cluster' | 'sentinel';
/** What the server says it is (INFO server_name): Valkey, or Redis (which has no server_name). */
export type RedisEngine = 'Redis' | 'Valkey';
/** Last known reachability: RUNNING when keyheat last reached it, ERROR when that failed. */
export type InstanceStatus = 'RUNNING' | 'ERROR';

/**
 * TLS toward Redis, as redis-cli takes it (--cacert, --cert, --key, --sni, --insecure), but with
 * PEM text instead of file names: the service stores it. The key is a secret like a password.
 */
export interface RedisTls {
  /** PEM certificates to trust instead of the system's CAs; null: the system's. */
  readonly ca: string | null;
  /** PEM client certificate (chain), for servers with tls-auth-clients. */
  readonly cert: string | null;
  /** PEM private key of the client certificate. */
  readonly key: string | null;
  /** The name sent as SNI and verified in the certificate; null: the host, when it is a name. */
  readonly servername: string | null;
  /** No verification of the server's certificate at all (redis-cli --insecure). */
  readonly insecure: boolean;
}

/** TLS with the system's CAs and nothing else: what rediss:// alone means. */
export const DEFAULT_TLS: RedisTls = { ca: null, cert: null, key: null, servername: null, insecure: false };

/**
 * A deployment reached through Redis Sentinel: the Sentinels to ask, the name of the master they
 * watch, and the Sentinels' own password (the data nodes' credentials are the endpoint's).
 */
export interface SentinelSettings {
  readonly masterName: string;
  readonly nodes: readonly { readonly host: string; readonly port: number }[];
  readonly password: string | null;
}

/**
 * How to reach a Redis deployment. Secrets live here and nowhere on the wire or in logs. With
 * `sentinel`, host and port are the first Sentinel's, and the credentials the data nodes'.
 */
export interface RedisEndpoint {
  readonly host: string;
  readonly port: number;
  /** null: plain TCP. */
  readonly tls: RedisTls | null;
  readonly username: string | null;
  readonly password: string | null;
  readonly sentinel?: SentinelSettings | null;
}

export interface Instance {
  readonly id: string;
  readonly projectId: string;
  readonly name: string;
  readonly endpoint: RedisEndpoint;
  readonly mode: InstanceMode;
  readonly engine: RedisEngine;
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
