import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { NetworkPolicy } from '../../src/redis/network-policy.js';

describe('where keyheat may connect', () => {
  it('never contacts link-local addresses (cloud metadata), with or without network.allow, unless an entry names that range', async () => {
    for (const policy of [NetworkPolicy.OPEN, new NetworkPolicy(['0.0.0.0/0']), new NetworkPolicy(['10.0.0.0/8', '::/1'])]) {
      expect(policy.permits('169.254.169.254')).toBe(false);
      expect(policy.permits('::ffff:169.254.169.254')).toBe(false);
      expect(policy.permits('fe80::1')).toBe(false);
      expect(policy.permits('fd00:ec2::254')).toBe(false);
      await expect(policy.resolve('169.254.169.254', '169.254.169.254:6379')).rejects.toMatchObject({ kind: 'denied', message: expect.stringMatching(/is link-local .*unless network\.allow lists that range itself/) });
    }
    expect(NetworkPolicy.OPEN.permits('10.1.2.3')).toBe(true);
    const named = new NetworkPolicy(['169.254.10.0/24', '10.0.0.0/8']);
    expect(named.permits('169.254.10.7')).toBe(true);
    expect(named.permits('169.254.169.254')).toBe(false);
    expect(named.permits('10.1.2.3')).toBe(true);
  });

  it('refuses at start an IPv6 range that would allow every IPv4 address too', () => {
    for (const cidr of ['::/0', '::ffff:0:0/96', '::/64']) {
      expect(() => loadConfig({ env: {}, flags: { network: { allow: [cidr] } } })).toThrow(/would allow every IPv4 address too.*list 0\.0\.0\.0\/0 for that/);
    }
    expect(loadConfig({ env: {}, flags: { network: { allow: ['fd00::/8', '0.0.0.0/0'] } } }).network.allow).toEqual(['fd00::/8', '0.0.0.0/0']);
  });
});
