/**
 * The table of the nodes a task read, one row per node, shared by the kinds' pages: the node's
 * address as the row header, its shard in a cluster, then the kind's own columns.
 */
import type { ComponentChildren } from 'preact';

export interface NodeColumn<N> {
  readonly header: string;
  readonly cell: (node: N) => ComponentChildren;
  /** 'num' right-aligns a count. */
  readonly class?: string;
  readonly title?: (node: N) => string;
}

export function NodesTable<N extends { readonly node: string; readonly shard?: string | undefined }>(props: {
  readonly id: string;
  readonly title: string;
  /** The table's accessible name. */
  readonly caption: string;
  readonly nodes: readonly N[];
  readonly columns: readonly NodeColumn<N>[];
}) {
  const { nodes, columns } = props;
  if (nodes.length === 0) return null;
  const cluster = nodes.some((n) => n.shard !== undefined);
  return (
    <section aria-labelledby={props.id}>
      <h2 id={props.id}>{props.title}</h2>
      <div class="table-scroll">
        <table>
          <caption class="visually-hidden">{props.caption}</caption>
          <thead>
            <tr>
              <th scope="col">Node</th>
              {cluster ? <th scope="col">Shard</th> : null}
              {columns.map((c) => (
                <th scope="col" key={c.header}>
                  {c.header}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {nodes.map((n) => (
              <tr key={n.node}>
                <th scope="row" class="mono">
                  {n.node}
                </th>
                {cluster ? <td class="mono">{n.shard ?? ''}</td> : null}
                {columns.map((c) => (
                  <td key={c.header} class={c.class} title={c.title?.(n)}>
                    {c.cell(n)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
