import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE } from '../../src/domain/errors.js';

describe('docs/errors.md', () => {
  const doc = readFileSync(path.resolve(import.meta.dirname, '../../docs/errors.md'), 'utf8');
  it.each(Object.entries(ERROR_CATALOGUE))('lists %s with its status, code and message', (_kind, spec) => {
    const row = doc.split('\n').find((line) => line.includes(`| ${spec.dcsCode} |`));
    expect(row, spec.dcsCode).toBeDefined();
    expect(row).toContain(`| ${spec.httpStatus} |`);
    expect(row).toContain(spec.message);
  });
});
