/**
 * The one place that reads the text of Redis error replies. Everything above works with
 * RedisFailure kinds and with the parsed redirect, never with message substrings. Server text
 * that goes into a failure's message is passed through serverText(): the password is cut out,
 * control and bidi characters are escaped, the length is bounded.
 */
import { serverText } from '../domain/display-text.js';
import { RedisFailure, type RedisFailureKind } from '../domain/redis-failure.js';
import type { RedisReplyError } from './resp-parser.js';

const BY_PREFIX: Readonly<Record<string, RedisFailureKind>> = {
  WRONGPASS: 'auth',
  NOAUTH: 'auth',
  NOPERM: 'no-permission',
  CLUSTERDOWN: 'cluster-down',
  TRYAGAIN: 'cluster-down',
  MOVED: 'cluster-down',
  ASK: 'cluster-down',
  LOADING: 'loading',
  BUSY: 'busy',
};

/** An error reply of a command, as a failure of the node that sent it. */
export function classifyReply(reply: RedisReplyError, node: string, secrets: readonly (string | null)[] = []): RedisFailure {
  const text = reply.message;
  const kind = kindOf(reply);
  const shown = serverText(text, secrets);
  if (reply.prefix === 'NOAUTH') return new RedisFailure('auth', node, `${node} requires a password (NOAUTH)`);
  if (kind === 'auth') return new RedisFailure('auth', node, `${node} answered ${serverText(reply.prefix, secrets)}`);
  if (kind === 'no-permission') return new RedisFailure('no-permission', node, `${node}: ${aclDenial(text, shown)}`);
  if (kind === 'unsupported') {
    if (/LFU maxmemory policy is not selected/i.test(text)) {
      return new RedisFailure('unsupported', node, `${node} no longer uses an LFU maxmemory-policy (${shown})`);
    }
    return new RedisFailure('unsupported', node, `${node} does not offer a command keyheat needs; it may be renamed or disabled (${shown})`);
  }
  return new RedisFailure(kind, node, `${node} answered: ${shown}`);
}

/**
 * The error reply to AUTH. Its text is never shown: a server where AUTH is renamed answers
 * "unknown command 'AUTH', with args beginning with: '<the password>'".
 */
export function classifyAuthReply(reply: RedisReplyError, node: string): RedisFailure {
  const kind = kindOf(reply);
  if (kind === 'unsupported') return new RedisFailure('auth', node, `${node} does not accept AUTH (the command is renamed or disabled)`);
  const code = /^[A-Z]{2,20}$/.test(reply.prefix) ? reply.prefix : 'error';
  return new RedisFailure(kind === 'other' ? 'auth' : kind, node, `${node} answered AUTH with ${code}`);
}

/**
 * What an ACL refusal means, and the rule that allows it (docs/acl.md). Redis 6.2 names only the
 * command ("... run the 'object' command or its subcommand"), 7.0+ the subcommand too
 * ("... run the 'object|freq' command"); keys: "access one of the keys" (6.2, 7.0) or "access
 * a key" (7.2+).
 */
function aclDenial(text: string, shown: string): string {
  const command = /permissions to run the '([a-z][a-z0-9|_-]{0,63})' command( or its subcommand)?/i.exec(text);
  if (command !== null) {
    const name = (command[1] as string).toLowerCase();
    const words = name.split('|').join(' ').toUpperCase();
    if (command[2] !== undefined) return `the ACL user may not run ${words} or the subcommand used: add +${name}, or the subcommand (+${name}|<subcommand>); docs/acl.md lists what each analysis needs`;
    return `the ACL user may not run ${words}: add +${name} (docs/acl.md lists what each analysis needs)`;
  }
  if (/permissions to access (one of the keys|a key)/i.test(text)) return 'the ACL user may not read the keys: add %R~* (Redis 7.0+) or ~* (6.2), as docs/acl.md says';
  return `the ACL refused a command (${shown}); docs/acl.md lists what each analysis needs`;
}

function kindOf(reply: RedisReplyError): RedisFailureKind {
  const byPrefix = BY_PREFIX[reply.prefix];
  if (byPrefix !== undefined) return byPrefix;
  const text = reply.message;
  if (/^ERR (invalid password|Client sent AUTH, but no password is set|AUTH .* called without any password)/i.test(text)) return 'auth';
  if (/LFU maxmemory policy is not selected/i.test(text)) return 'unsupported';
  if (/^ERR unknown (sub)?command/i.test(text)) return 'unsupported';
  return 'other';
}

/** True for WRONGTYPE: the key holds another type than the command needs (it changed meanwhile). */
export function isWrongType(reply: RedisReplyError): boolean {
  return reply.prefix === 'WRONGTYPE';
}

/** The failure for a reply of a shape the command never returns (a server that is not what it claims). */
export function unexpectedReply(node: string, reply: unknown, command: string): RedisFailure {
  const shape = reply === null ? 'nil' : Array.isArray(reply) ? 'an array' : typeof reply === 'number' ? 'an integer' : Buffer.isBuffer(reply) ? 'a string' : 'an error';
  return new RedisFailure('protocol', node, `${node} answered ${serverText(command)} with ${shape}, which that command never returns`);
}

/** True for "unknown command" / "unknown subcommand" (a command this server lacks or hides). */
export function isUnknownCommand(reply: RedisReplyError): boolean {
  return /^ERR unknown (sub)?command/i.test(reply.message);
}

/** True for "An LFU maxmemory policy is not selected" (OBJECT FREQ under another policy). */
export function isLfuNotSelected(reply: RedisReplyError): boolean {
  return /LFU maxmemory policy is not selected/i.test(reply.message);
}

export interface Redirect {
  readonly ask: boolean;
  readonly slot: number;
  /** `host:port` to read the key on; IPv6 hosts in brackets. */
  readonly address: string;
}

/**
 * Parses `MOVED 3999 127.0.0.1:6381` or `ASK 3999 [::1]:6381`. An empty host means the replying
 * node's own host (Redis 7 announces that way). Returns null for other replies; throws a
 * protocol failure for a malformed redirect (the address is the server's to make up).
 */
export function parseRedirect(reply: RedisReplyError, node: string): Redirect | null {
  const prefix = reply.prefix;
  if (prefix !== 'MOVED' && prefix !== 'ASK') return null;
  const match = /^(?:MOVED|ASK) (\d{1,5}) (\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]*):(\d{1,5})$/.exec(reply.message);
  const slot = Number(match?.[1]);
  const port = Number(match?.[3]);
  if (match === null || slot > 16_383 || port < 1 || port > 65_535) {
    throw new RedisFailure('protocol', node, `${node} sent a malformed redirect: ${serverText(reply.message)}`);
  }
  let host = match[2] as string;
  if (host === '') host = node.slice(0, node.lastIndexOf(':'));
  return { ask: prefix === 'ASK', slot, address: `${host}:${port}` };
}
