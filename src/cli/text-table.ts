/** Plain-text tables for the terminal: `keyheat scan`'s hot key table and the client's lists. */

/**
 * Lines of a table: columns two spaces apart, the first `rightAligned` columns padded on the
 * left (numbers line up by their last digit), the last column never padded (no trailing blanks).
 * Cells must already be safe to print (escapeControls for anything a server or user sent).
 */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[], rightAligned = 0): string[] {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]): string => {
    const text = cells.map((cell, c) => (c === cells.length - 1 ? cell : c < rightAligned ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0))).join('  ');
    // An empty last cell (a task without an error) would leave the padding of the others behind.
    return cells[cells.length - 1] === '' ? text.trimEnd() : text;
  };
  return [line(header), ...rows.map(line)];
}

/** `label: value` lines with the values lined up, for one resource (instances show, tasks show). */
export function fieldList(fields: readonly (readonly [string, string])[]): string {
  const width = Math.max(0, ...fields.map(([label]) => label.length + 1));
  return fields.map(([label, value]) => `${`${label}:`.padEnd(width)}  ${value}\n`).join('');
}
