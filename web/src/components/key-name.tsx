/**
 * A key name in a table: isolated as bidi text (a name's right-to-left characters cannot reorder
 * the row), with its exact bytes in the title when it had to be escaped, and marked when it is
 * only the beginning of a longer name (keyheat keeps 1024 bytes and the SHA-1 of the whole).
 */
interface NamedKey {
  readonly name: string;
  readonly name_base64?: string | undefined;
  readonly truncated?: boolean | undefined;
  readonly name_sha1?: string | undefined;
}

export function KeyName(props: { readonly named: NamedKey }) {
  const k = props.named;
  return (
    <>
      <bdi>{k.name}</bdi>
      {k.truncated === true ? (
        <span class="mark truncated" title={`Only the first 1024 bytes of a longer name are kept. SHA-1 of the whole name: ${k.name_sha1 ?? 'not recorded'}`}>
          truncated
        </span>
      ) : null}
    </>
  );
}

/** The title of a name's cell: its exact bytes, when the name had to be escaped. */
export function keyTitle(k: NamedKey): string | undefined {
  return k.name_base64 === undefined ? undefined : `exact bytes (base64): ${k.name_base64}`;
}

/** The key a name is, in its database: for row keys and for matching keys across lists. */
export function keyIdentity(k: NamedKey & { readonly db: number }): string {
  return `${k.db}\u0000${k.name_sha1 !== undefined ? `s:${k.name_sha1}` : k.name_base64 === undefined ? `n:${k.name}` : `b:${k.name_base64}`}`;
}
