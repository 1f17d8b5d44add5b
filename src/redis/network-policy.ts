/**
 * Where keyheat may connect. A registered URL, every node a cluster announces and every MOVED or
 * ASK target makes keyheat open a connection and send the instance's password there; with
 * `network.allow` set, only addresses inside those CIDRs are contacted. The check runs on the
 * resolved address, and the connection goes to exactly the address that was checked (a DNS
 * answer that changes between the check and the connect cannot move it elsewhere).
 */
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import { parseCidr } from '../domain/cidr.js';
import { RedisFailure } from '../domain/redis-failure.js';

export class NetworkPolicy {
  /** No restriction: connect wherever a URL, a cluster or a redirect says. */
  static readonly OPEN = new NetworkPolicy([]);

  private readonly allowed: net.BlockList | null;
  readonly cidrs: readonly string[];

  constructor(cidrs: readonly string[]) {
    this.cidrs = [...cidrs];
    if (cidrs.length === 0) {
      this.allowed = null;
      return;
    }
    const list = new net.BlockList();
    for (const text of cidrs) {
      const cidr = parseCidr(text);
      list.addSubnet(cidr.address, cidr.prefix, cidr.family);
    }
    this.allowed = list;
  }

  get restricted(): boolean {
    return this.allowed !== null;
  }

  /** True when the address (an IP literal) may be contacted. */
  permits(address: string): boolean {
    if (this.allowed === null) return true;
    const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address)?.[1];
    if (mapped !== undefined) return this.allowed.check(mapped, 'ipv4');
    const version = net.isIP(address);
    return version !== 0 && this.allowed.check(address, version === 4 ? 'ipv4' : 'ipv6');
  }

  /**
   * The address to connect to for `host`: the host itself when nothing is restricted, else the
   * first resolved address inside the allowed networks. Throws RedisFailure('denied') naming
   * the node and what it resolved to.
   */
  async resolve(host: string, node: string): Promise<string> {
    if (this.allowed === null) return host;
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
    throw new RedisFailure('denied', node, `${node}${resolved} is outside network.allow (${this.cidrs.join(', ')})`);
  }
}
