/**
 * The help of the commands that run here (serve, scan, token): what `keyheat <command> --help`
 * and `keyheat help <command>` print, and what a usage error of that command shows. The client
 * commands' help is in client/client-help.ts, secrets' in secrets-command.ts.
 */

export const SERVE_HELP = `Usage: keyheat serve [--config FILE] [--host H] [--port P] [--data-dir DIR]

Runs the service: the DCS-compatible HTTP API, the dashboard at /, the task runner and the
daily schedules, in one process. Defaults: 127.0.0.1:8080, data dir ./data, the embedded SQLite
store in it. Without projects: in the config, the first start creates a default project and an
admin token and prints them once, on stderr.
  --config FILE   the YAML (or JSON) config file (KEYHEAT_CONFIG)
  --host H        the address to listen on (KEYHEAT_HOST)
  --port P        the port (KEYHEAT_PORT)
  --data-dir DIR  where the SQLite store and the generated secret key live (KEYHEAT_DATA_DIR)
Every config key can also come from the environment; flags beat the environment, the
environment beats the file. SIGTERM or Ctrl-C stops it gracefully; a second one at once.`;

export const SCAN_HELP = `Usage: keyheat scan <redis-url> [options]
       keyheat scan <redis-url> --big [options]
       keyheat scan <redis-url> --snapshot [--snapshot-replicas] [--big] [options]
       keyheat scan --rdb dump.rdb [--big] [--top N] [--json]
       keyheat scan <redis-url> --expired [--scan-keys-count N] [pacing flags] [--json]
       keyheat scan <redis-url> --offline [--node IP:PORT] [--top-keys N] [--top-prefixes N] [--json]
       keyheat scan --rdb dump.rdb --offline [--top-keys N] [--top-prefixes N] [--json]

Analyses one Redis deployment directly, without the service, and prints its hot keys (or its
big keys with --big): every database of a standalone server, every primary of a Cluster, the
current primary behind Sentinel. --expired runs the expired key scan instead, --offline the
offline key analysis of one node's RDB.

Redis URLs:
  redis://[[user]:password@]host[:port]              a server, or any node of a Cluster
  rediss://...                                       the same over TLS (the system's CAs)
  redis+sentinel://[[user]:password@]host[:port][,host[:port]...]/<master_name>
                                                     the primary the Sentinels name now (and its
                                                     replicas); user and password are the data
                                                     nodes'; the Sentinels' own password is
                                                     KEYHEAT_SENTINEL_PASSWORD
  The password may also come from KEYHEAT_REDIS_PASSWORD, out of the process list.

TLS, as redis-cli takes it (any of these turns TLS on):
  --cacert FILE   trust this CA (PEM) instead of the system's
  --cert FILE     a client certificate (PEM), for servers with tls-auth-clients
  --key FILE      its private key (PEM)
  --sni NAME      the server name to ask for and verify
  --insecure      do not verify the server's certificate

Hot keys (LFU counters; the default):
  --top N                 keys to report (default 100)
  --json                  the API's shapes instead of a table
  --pattern P             only keys matching P (SCAN MATCH)
  --max-cpu-share S       the share of each primary's main thread the scan may use (0.10)
  --idle-cpu-share S      the share while the node serves nobody else (1.0)
  --max-block-us US       the longest stretch one page may block the node
  --rate KEYS_PER_S, --batch N, --busy-batch N, --timeout MS
  --prefix-delimiters CHARS, --prefix-depth 1-3   how namespaces are cut
  --sample 10s            first watch the commands (MONITOR) for 1s-120s and rank keys by their
                          measured rate too; costs Redis throughput while it runs; works
                          without an LFU policy. --sample-replicas watches the replicas too.

Big keys (--big; any version and policy; a replica of each shard where one can be read):
  --string-bytes N        a string is big above N bytes (10240)
  --collection-count N    a collection is big above N elements (5000)
  --per-type N            keys reported per type (20)
  --memory                MEMORY USAGE of every key too
  --primaries             read the primaries, not replicas

Snapshots (--snapshot): each node read forks once and streams its RDB (REPLCONF rdb-only,
SYNC), which keyheat parses as it arrives and never stores. Hot keys come from the RDB's LFU
counters, sizes from its encodings; with --big both results come from one pass.
--snapshot-replicas reads each shard's RDB from a replica. --rdb FILE reads a saved RDB file
(Redis 2.6 to 8.6, Valkey up to 9.2). docs/snapshots.md says what a fork costs.

The expired key scan (--expired): SCANs every primary so Redis reclaims the keys whose TTL has
passed, and prints how many each primary reclaimed (INFO stats expired_keys around the scan, the
server's own active expiry meanwhile included) and the TTLs of the keys found: in total, per
database and for the 20 namespaces with the most keys. Any version and maxmemory-policy.
  --scan-keys-count N     keys per SCAN page, SCAN COUNT (10-1000; 100)
  --max-cpu-share, --idle-cpu-share, --max-block-us, --rate, --timeout, --prefix-delimiters,
  --prefix-depth and the TLS flags as above; --top, --pattern, --batch, --busy-batch, --sample,
  --snapshot, --rdb and the --big flags do not apply.

Offline key analysis (--offline): DCS's report of one node's RDB: per type the keys and the
prefixes taking the most bytes in the RDB (not memory), the totals by type, and the hot keys of
the same pass where the RDB carries LFU counters. A fresh RDB of a live node (one fork, streamed,
never stored) or a saved file with --rdb.
  --node IP:PORT          the node to read, a primary or a replica as the deployment announces
                          it (default: the node the URL names; needed behind Sentinel)
  --top-keys N            largest keys reported per type (1-500; 100)
  --top-prefixes N        largest prefixes reported per type (1-500; 50)
  --top N                 hot keys reported (default 100)
  --prefix-delimiters, --prefix-depth, --timeout and the TLS flags as above; the pacing flags,
  --pattern, --sample, --snapshot and the --big flags do not apply.

The ACL rules a least-privilege user needs for each of these are in docs/acl.md.

Exit codes: 0 done; 2 usage; 3 unreachable, authentication or TLS refused, no Sentinel could
name the primary; 4 not analysable as configured (maxmemory-policy not LFU without --sample,
Redis < 4.0, a command the ACL user may not run, an RDB format keyheat does not read, a --node
that is not one of the deployment's); 1 any other failure; 130 interrupted.`;

export const TOKEN_HELP = `Usage: keyheat token reset [--config FILE] [--data-dir DIR]

Issues a new admin token for the default project made at the first start and prints it once;
the previous token stops working. Run it while keyheat serve is stopped. With projects: in
the config file, tokens are listed there instead, and this refuses to run (exit 1).`;

export const HEALTHCHECK_HELP = `Usage: keyheat healthcheck [--config FILE] [--host H] [--port P]

Exits 0 when the keyheat serve of this configuration answers GET /readyz with 200 (its database
answers), else 1 with the reason on stderr. A wildcard listen address (0.0.0.0, ::) is probed on
loopback. Over HTTPS the certificate is not checked: the probe reaches its own process by IP.`;
