/** CIDR notation for network.allow. */
import net from 'node:net';

export interface Cidr {
  readonly address: string;
  readonly prefix: number;
  readonly family: 'ipv4' | 'ipv6';
}

/** Parses `10.0.0.0/8`, `fd00::/8`, or a single address (a /32 or /128). Throws TypeError. */
export function parseCidr(text: string): Cidr {
  const [address = '', prefixText, ...rest] = text.trim().split('/');
  const version = net.isIP(address);
  if (version === 0 || rest.length > 0) throw new TypeError(`"${text}" is not an IP address or CIDR (e.g. 10.0.0.0/8, fd00::/8)`);
  const family = version === 4 ? 'ipv4' : 'ipv6';
  const max = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) throw new TypeError(`"${text}": the prefix length must be a number`);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) throw new TypeError(`"${text}": the prefix length must be 0 to ${max}`);
  return { address, prefix, family };
}
