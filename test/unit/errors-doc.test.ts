import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE } from '../../src/domain/errors.js';
import { FAILURE_MAP } from '../../src/domain/failure-map.js';

describe('docs/errors.md', () => {
  const doc = readFileSync(path.resolve(import.meta.dirname, '../../docs/errors.md'), 'utf8');
  it.each(Object.entries(ERROR_CATALOGUE))('lists %s with its status, code and message', (_kind, spec) => {
    const row = doc.split('\n').find((line) => line.startsWith(`| ${spec.httpStatus} | ${spec.dcsCode} |`));
    expect(row, `${spec.httpStatus} ${spec.dcsCode}`).toBeDefined();
    expect(row).toContain(spec.message);
  });
});

describe('docs/errors.md, the failure map', () => {
  const doc = readFileSync(path.resolve(import.meta.dirname, '../../docs/errors.md'), 'utf8');
  it.each(Object.entries(FAILURE_MAP))('lists %s with its exit code, status and summary', (kind, meaning) => {
    const row = doc.split('\n').find((line) => line.startsWith(`| ${kind} |`));
    expect(row, kind).toBeDefined();
    const cells = (row as string).split('|').map((cell) => cell.trim());
    const error = ERROR_CATALOGUE[meaning.error];
    const registration = meaning.registerParam === null ? `${error.httpStatus} ${error.dcsCode}` : `\`Invalid ${meaning.registerParam}\``;
    expect(cells[3]).toBe(kind === 'cancelled' ? '503 DCS.5000' : kind === 'deadline' ? '-' : registration);
    expect(cells[5]).toBe(String(meaning.exitCode));
    expect(cells[6]).toBe(meaning.health ?? 'unchanged');
    expect(cells[7]).toBe(`\`${meaning.summary}\``);
    if (kind !== 'deadline') expect(cells[4]).toBe(`${error.httpStatus} ${error.dcsCode}`);
  });
});
