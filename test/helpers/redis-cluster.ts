/**
 * A real Redis Cluster for tests: N primaries (and optional replicas) started on free loopback
 * ports and joined with `redis-cli --cluster create`. A node may be given an "announced" port
 * (another process, such as an intercepting proxy, in front of it).
 */
import { execFile } from 'node:child_process';
import net from 'node:net';
import { promisify } from 'node:util';
import { parseClusterNodes, slotOwners, type ClusterTopology } from '../../src/redis/cluster-topology.js';
import { freePort, startRedis, type RedisServer, type RedisServerOptions } from './redis-server.js';

const run = promisify(execFile);

export interface RedisCluster {
  readonly nodes: RedisServer[];
  /** Address each node announces (its port, or its announced port). */
  readonly announced: string[];
  readonly seedUrl: string;
  topology(): Promise<ClusterTopology>;
  /** The node (index in `nodes`) that owns a key now. */
  ownerOf(key: string): Promise<number>;
  slotOf(key: string): Promise<number>;
  stop(): Promise<void>;
}

export interface ClusterOptions extends RedisServerOptions {
  readonly primaries?: number;
  readonly replicasPerPrimary?: number;
  /** Announced port per node index, for nodes that sit behind a proxy. */
  readonly announcePorts?: Record<number, number>;
  /** Real port per node index (when a proxy must know it before the node starts). */
  readonly ports?: Record<number, number>;
  readonly nodeTimeoutMs?: number;
  /** The redis-cli (valkey-cli) that joins the nodes; default the PATH's. 5.0+: 4.0's has no --cluster. */
  readonly cli?: string;
}

export async function startCluster(options: ClusterOptions = {}): Promise<RedisCluster> {
  const primaries = options.primaries ?? 3;
  const total = primaries * (1 + (options.replicasPerPrimary ?? 0));
  const nodes: RedisServer[] = [];
  try {
    for (let i = 0; i < total; i++) {
      const announce = options.announcePorts?.[i];
      const start = async (port: number): Promise<RedisServer> =>
        startRedis({
          ...options,
          port,
          extraArgs: [
            ...(options.extraArgs ?? []),
            '--cluster-enabled', 'yes',
            '--cluster-config-file', `nodes-${port}.conf`,
            '--cluster-node-timeout', String(options.nodeTimeoutMs ?? 2000),
            ...(announce === undefined ? [] : ['--cluster-announce-port', String(announce), '--cluster-announce-bus-port', String(port + 10000)]),
          ],
        });
      const given = options.ports?.[i];
      if (given !== undefined) {
        nodes.push(await start(given));
        continue;
      }
      // The cluster bus listens on port + 10000: both must be free, and another process may take either meanwhile.
      for (let attempt = 0; ; attempt++) {
        try {
          nodes.push(await start(await clusterPort()));
          break;
        } catch (error) {
          if (attempt >= 4) throw error;
        }
      }
    }
    const announced = nodes.map((node, i) => `127.0.0.1:${options.announcePorts?.[i] ?? node.port}`);
    await run(options.cli ?? 'redis-cli', ['--cluster', 'create', ...announced, '--cluster-replicas', String(options.replicasPerPrimary ?? 0), '--cluster-yes'], { timeout: 30_000 });
    // Wait until every node agrees the cluster is up and knows every other node.
    const deadline = Date.now() + 20_000;
    for (;;) {
      const states = await Promise.all(nodes.map(async (node) => String(await node.command(['CLUSTER', 'INFO']))));
      const replication = await Promise.all(nodes.map(async (node) => String(await node.command(['INFO', 'replication']))));
      // Every replica a replica, with its link up, in node 0's view too (a node may still say role:master a moment after create).
      const expectedReplicas = primaries * (options.replicasPerPrimary ?? 0);
      const replicasSynced =
        replication.filter((r) => r.includes('role:slave') && r.includes('master_link_status:up')).length === expectedReplicas &&
        parseClusterNodes(String(await nodes[0]!.command(['CLUSTER', 'NODES'])), '127.0.0.1').replicas.length === expectedReplicas;
      if (replicasSynced && states.every((s) => s.includes('cluster_state:ok') && s.includes(`cluster_known_nodes:${total}`))) break;
      if (Date.now() > deadline) throw new Error(`cluster did not come up:\n${states.join('\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const cluster: RedisCluster = {
      nodes,
      announced,
      seedUrl: `redis://${announced[0]!}`,
      async topology() {
        return parseClusterNodes(String(await nodes[0]!.command(['CLUSTER', 'NODES'])), '127.0.0.1');
      },
      async slotOf(key) {
        return (await nodes[0]!.command(['CLUSTER', 'KEYSLOT', key])) as number;
      },
      async ownerOf(key) {
        const owner = slotOwners(await cluster.topology())[await cluster.slotOf(key)];
        return announced.indexOf(owner ?? '');
      },
      async stop() {
        await Promise.all(nodes.map((node) => node.stop()));
      },
    };
    return cluster;
  } catch (error) {
    await Promise.all(nodes.map((node) => node.stop()));
    throw error;
  }
}

/** A free port below 55536 whose cluster bus port (+10000) is free too. */
async function clusterPort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port <= 55_535 && (await portFree(port + 10_000))) return port;
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Key names `${prefix}N` that land on the given node, `count` of them. */
export async function keysOnNode(cluster: RedisCluster, node: number, prefix: string, count: number): Promise<string[]> {
  const owners = slotOwners(await cluster.topology());
  // A node owning no slot would never be given a key: fail instead of looping.
  if (!owners.includes(cluster.announced[node] ?? '')) throw new Error(`node ${node} (${cluster.announced[node] ?? '?'}) owns no slot`);
  const names: string[] = [];
  for (let i = 0; names.length < count; i++) {
    const name = `${prefix}${i}`;
    if (owners[await cluster.slotOf(name)] === cluster.announced[node]) names.push(name);
  }
  return names;
}
