import { describe, expect, it } from 'vitest';
import { changedSlots, parseClusterNodes, slotOwners } from '../../src/redis/cluster-topology.js';

const NODES = [
  '07c37dfeb235213a872192d90877d0cd55635b91 127.0.0.1:30004@31004,hostname4 slave e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 0 1426238317239 4 connected',
  '67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 127.0.0.1:30002@31002 master - 0 1426238316232 2 connected 5461-10922',
  '292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f 127.0.0.1:30003@31003 master - 0 1426238318243 3 connected 10923-16383 [10924->-67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1]',
  'e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 127.0.0.1:30001@31001 myself,master - 0 0 1 connected 0-5460',
  'aaaa 127.0.0.1:30009@31009 master,fail - 0 0 9 disconnected',
  'bbbb :0@0 master,noaddr - 0 0 9 disconnected',
  '',
].join('\n');

describe('CLUSTER NODES parsing', () => {
  const topology = parseClusterNodes(NODES, 'seed');

  it('lists the primaries with their announced address and slots, in slot order', () => {
    expect(topology.primaries.map((p) => [p.address, p.slots])).toEqual([
      ['127.0.0.1:30001', [[0, 5460]]],
      ['127.0.0.1:30002', [[5461, 10922]]],
      ['127.0.0.1:30003', [[10923, 16383]]],
      ['127.0.0.1:30009', []],
    ]);
    expect(topology.primaries.find((p) => p.address === '127.0.0.1:30009')?.suspect).toBe(true);
  });

  it('lists healthy replicas with the primary they follow', () => {
    expect(topology.replicas).toEqual([{ address: '127.0.0.1:30004', primaryId: 'e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca' }]);
    const failing = parseClusterNodes(`${NODES}\ncccc 127.0.0.1:30005@31005 slave,fail e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 0 0 1 connected`, 'seed');
    expect(failing.replicas).toHaveLength(1);
  });

  it('records migrating slots', () => {
    expect([...topology.migratingSlots]).toEqual([10924]);
  });

  it('uses the seed host for a node that does not know its own ip', () => {
    const single = parseClusterNodes('abcd :7000@17000 myself,master - 0 0 1 connected 0-16383', '10.1.2.3');
    expect(single.primaries[0]?.address).toBe('10.1.2.3:7000');
  });

  it('finds the slots that changed owner between two readings', () => {
    const moved = parseClusterNodes(NODES.replace('connected 5461-10922', 'connected 5461-10921').replace('connected 0-5460', 'connected 0-5460 10922'), 'seed');
    expect(slotOwners(moved)[10922]).toBe('127.0.0.1:30001');
    expect(changedSlots(topology, moved)).toEqual([10922, 10924]);
  });
});
