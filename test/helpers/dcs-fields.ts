/**
 * The DCS HotkeysBody fields, apart from what keyheat adds (reading-results.md): tests that hold
 * keyheat to the DCS contract compare the DCS part exactly and allow only documented additions.
 */
export const DCS_HOTKEY_FIELDS = ['name', 'type', 'shard', 'db', 'size', 'unit', 'freq'] as const;
export const HOTKEY_ADDITIONS = ['name_base64', 'est_qps', 'est_accesses', 'saturated', 'previous_freq'] as const;

/** The DCS fields of a key, exactly as sent. */
export function dcsPart(key: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(key).filter(([field]) => (DCS_HOTKEY_FIELDS as readonly string[]).includes(field)));
}

/** The fields of a key that are neither DCS fields nor documented additions (none, for a correct key). */
export function undocumentedFields(key: Record<string, unknown>): string[] {
  const known: readonly string[] = [...DCS_HOTKEY_FIELDS, ...HOTKEY_ADDITIONS];
  return Object.keys(key).filter((field) => !known.includes(field));
}
