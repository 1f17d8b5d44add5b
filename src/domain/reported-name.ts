/**
 * A key name as results report it (HotKey, BigKey, SampledKey, a type's largest key, a trend's
 * gone keys): `name` is UTF-8, or redis-cli's escaping of bytes that are not (with the exact
 * bytes in `nameBase64`); a name longer than the NAME_KEEP_BYTES an analysis keeps is reported
 * as its beginning, `truncated`, with the SHA-1 of the whole name in `nameSha1`.
 */
export interface ReportedName {
  readonly name: string;
  readonly nameBase64?: string;
  /** `name` (and `nameBase64`) are the first bytes of a longer name. */
  readonly truncated?: boolean;
  /** SHA-1 (hex) of the whole name, present when truncated. */
  readonly nameSha1?: string;
}

/** The key a reported name is, in its database: the same key in two results, whatever else they say of it. */
export function reportedIdentity(key: ReportedName & { readonly db: number }): string {
  if (key.nameSha1 !== undefined) return `${key.db}\u0000s${key.nameSha1}`;
  return `${key.db}\u0000${key.nameBase64 === undefined ? `u${key.name}` : `b${key.nameBase64}`}`;
}

/** Only the reported-name fields of `key`, for copying into another shape. */
export function reportedNameFields(key: ReportedName): ReportedName {
  return {
    name: key.name,
    ...(key.nameBase64 === undefined ? {} : { nameBase64: key.nameBase64 }),
    ...(key.truncated === true ? { truncated: true } : {}),
    ...(key.nameSha1 === undefined ? {} : { nameSha1: key.nameSha1 }),
  };
}
