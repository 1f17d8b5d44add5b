/**
 * Where keyheat may connect. A registered URL, every node a cluster announces and every MOVED or
 * ASK target makes keyheat open a connection and send the instance's password there; with
 * `network.allow` set, only addresses inside those CIDRs are contacted, and link-local ranges
 * (cloud metadata) never are unless an entry names them. The check runs on the
 * resolved address, and the connection goes to exactly the address that was checked (a DNS
 * answer that changes between the check and the connect cannot move it elsewhere).
 */
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import { parseCidr } from '../domain/cidr.js';
import { RedisFailure } from '../domain/redis-failure.js';

/**
 * Ranges no Redis of a tenant has any business in, refused whatever network.allow says unless an
 * entry of it names them itself (a CIDR inside the range): link-local addresses, where clouds
 * serve instance metadata and credentials (169.254.169.254, fd00:ec2::254).
 */
const DEFAULT_DENY = ['169.254.0.0/16', 'fe80::/10', 'fd00:ec2::254/128'].map(parseCidr);

export class NetworkPolicy {
  /** No restriction beyond the default deny: connect wherever a URL, a cluster or a redirect says. */
  static readonly OPEN = new NetworkPolicy([]);

  private readonly allowed: net.BlockList | null;
  private readonly denied = new net.BlockList();
  /** Entries of network.allow that name a part of a denied range: only those reach it. */
  private readonly explicit = new net.BlockList();
  readonly cidrs: readonly string[];

  constructor(cidrs: readonly string[]) {
    this.cidrs = [...cidrs];
    for (const cidr of DEFAULT_DENY) this.denied.addSubnet(cidr.address, cidr.prefix, cidr.family);
    const list = new net.BlockList();
    for (const text of cidrs) {
      const cidr = parseCidr(text);
      list.addSubnet(cidr.address, cidr.prefix, cidr.family);
      const inside = DEFAULT_DENY.some((deny) => deny.family === cidr.family && cidr.prefix >= deny.prefix && this.denied.check(cidr.address, cidr.family));
      if (inside) this.explicit.addSubnet(cidr.address, cidr.prefix, cidr.family);
    }
    this.allowed = cidrs.length === 0 ? null : list;
  }

  get restricted(): boolean {
    return this.allowed !== null;
  }

  /** True when the address (an IP literal) may be contacted. */
  permits(address: string): boolean {
    const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address)?.[1];
    const ip = mapped ?? address;
    const version = net.isIP(ip);
    if (version === 0) return false;
    const family = version === 4 ? 'ipv4' : 'ipv6';
    if (this.denied.check(ip, family) && !this.explicit.check(ip, family)) return false;
    return this.allowed === null || this.allowed.check(ip, family);
  }

  /**
   * The address to connect to for `host`: the first address it resolves to that the policy
   * permits (the default deny applies with no network.allow too). Throws RedisFailure('denied')
   * naming the node and what it resolved to.
   */
  async resolve(host: string, node: string): Promise<string> {
    let addresses: string[];
    if (net.isIP(host) !== 0) {
      addresses = [host];
    } else {
      try {
        addresses = (await lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? 'lookup failed';
        throw new RedisFailure('unreachable', node, `cannot resolve ${node} (${code})`);
      }
    }
    const permitted = addresses.find((address) => this.permits(address));
    if (permitted !== undefined) return permitted;
    const resolved = addresses.length === 1 && addresses[0] === host ? '' : ` (resolves to ${addresses.join(', ')})`;
    if (addresses.some((address) => this.denied.check(address, net.isIP(address) === 4 ? 'ipv4' : 'ipv6'))) {
      throw new RedisFailure(
        'denied',
        node,
        `${node}${resolved} is link-local (169.254.0.0/16, fe80::/10: where clouds serve instance metadata), which keyheat does not contact unless network.allow lists that range itself`,
      );
    }
    throw new RedisFailure('denied', node, `${node}${resolved} is outside network.allow (${this.cidrs.join(', ')})`);
  }
}
