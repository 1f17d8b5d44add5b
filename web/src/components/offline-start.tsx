/**
 * Starting an offline analysis: which node, and which RDB. The API lists an instance's nodes
 * only under an existing analysis (…/offline/key-analysis/<task id>/nodes), so the choices are
 * the instance's own address, the nodes the latest analysis's endpoint lists when there is one,
 * and any ip:port typed in. The RDB is a fresh one from the node, or one of the backups saved
 * for the instance (GET …/backups).
 */
import { useState } from 'preact/hooks';
import { api, type Session } from '../api';
import { bytes, when } from '../format';
import { instancePath, KINDS } from '../task-kinds';
import { useLoad } from '../use-load';
import type { Backups, Instance, OfflineList, OfflineNodes } from '../wire';

/** The choice that shows the ip:port field; never a node id (those have a port). */
const OTHER = 'other';

interface NodeChoice {
  readonly id: string;
  readonly label: string;
}

/** The instance's own address as a node id: ip:port, an IPv6 address in brackets. */
function addressOf(instance: Instance): string {
  return `${instance.ip.includes(':') ? `[${instance.ip}]` : instance.ip}:${instance.port}`;
}

export function OfflineStart(props: {
  readonly session: Session;
  readonly instance: Instance;
  readonly busy: boolean;
  /** Changes when an analysis ends: the lists are read again. */
  readonly refresh: number;
  readonly onStart: (body: { node_id: string; backup_id?: string }) => Promise<void>;
}) {
  const { session, instance } = props;
  const base = instancePath(instance.instance_id);
  const own = addressOf(instance);
  const backups = useLoad(() => api<Backups>(session, 'GET', `${base}/backups`), [session, base, props.refresh]);
  // The nodes as the newest analysis's endpoint lists them; without one, or when the instance cannot be reached, only its address.
  const nodes = useLoad(async () => {
    const list = await api<OfflineList>(session, 'GET', `${base}${KINDS.offline.api.list}?limit=1`);
    const newest = list.records[0];
    if (newest === undefined) return [];
    return (await api<OfflineNodes>(session, 'GET', `${base}${KINDS.offline.api.task}/${encodeURIComponent(newest.id)}/nodes`)).nodes;
  }, [session, base, props.refresh]);
  const [choice, setChoice] = useState(own);
  const [typed, setTyped] = useState('');
  const [backup, setBackup] = useState('');
  const [problem, setProblem] = useState<string | null>(null);

  const choices: NodeChoice[] = [{ id: own, label: `${own} (the instance’s address)` }];
  for (const n of nodes.value ?? []) {
    if (n.id === own) continue;
    choices.push({ id: n.id, label: `${n.id} (${n.node_type === 'slave' ? 'replica' : n.node_type === 'master' ? 'primary' : 'node'}, ${n.group_name})` });
  }

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    const node = choice === OTHER ? typed.trim() : choice;
    if (node === '') {
      setProblem('Type the node’s address, ip:port.');
      return;
    }
    setProblem(null);
    await props.onStart({ node_id: node, ...(backup === '' ? {} : { backup_id: backup }) });
  };

  return (
    <form class="panel" aria-labelledby="offline-start-title" onSubmit={(e) => void submit(e)} noValidate>
      <h3 id="offline-start-title">Analyse a node’s RDB</h3>
      <div class="fields">
        <div class="field">
          <label for="offline-node">Node</label>
          <select id="offline-node" value={choice} onChange={(e) => setChoice(e.currentTarget.value)}>
            {choices.map((c) => (
              <option key={c.id} value={c.id}>
                {c.label}
              </option>
            ))}
            <option value={OTHER}>Another node…</option>
          </select>
        </div>
        {choice === OTHER ? (
          <div class="field">
            <label>
              Node address (ip:port)
              <input
                value={typed}
                onInput={(e) => setTyped(e.currentTarget.value)}
                placeholder="10.0.0.12:6379"
                spellcheck={false}
                autocomplete="off"
                aria-describedby="offline-node-hint"
                aria-invalid={problem !== null ? true : undefined}
              />
            </label>
            <span id="offline-node-hint" class="sub">
              as the instance announces it: a primary or a replica
            </span>
          </div>
        ) : null}
        <div class="field">
          <label for="offline-rdb">RDB</label>
          <select id="offline-rdb" value={backup} onChange={(e) => setBackup(e.currentTarget.value)} aria-describedby="offline-rdb-hint">
            <option value="">A fresh RDB from the node</option>
            {(backups.value?.backups ?? []).map((b) => (
              <option key={b.backup_id} value={b.backup_id}>
                Backup {b.backup_id} ({bytes(b.size_bytes)}, {when(b.created_at)})
              </option>
            ))}
          </select>
          <span id="offline-rdb-hint" class="sub">
            {backups.error !== null
              ? `The backups could not be listed: ${backups.error}`
              : (backups.value?.backups ?? []).length === 0 && backups.value !== null
                ? 'No backup saved for this instance.'
                : ''}
          </span>
        </div>
      </div>
      {problem !== null ? (
        <p class="error" role="alert">
          {problem}
        </p>
      ) : null}
      <div class="actions">
        <button type="submit" disabled={props.busy}>
          Start offline analysis
        </button>
      </div>
    </form>
  );
}
