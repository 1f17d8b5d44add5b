import { describe, expect, it } from 'vitest';
import { redactDatabaseUrl } from '../../src/domain/redact-url.js';

describe('redactDatabaseUrl', () => {
  it.each([
    ['postgres://keyheat:s3cret@db:5432/keyheat', 'postgres://keyheat:***@db:5432/keyheat'],
    ['postgresql://u:p%40ss@db/k?sslmode=require', 'postgresql://u:***@db/k?sslmode=require'],
    ['postgres://u@db/k?password=s3cret&application_name=x', 'postgres://u@db/k?password=***&application_name=x'],
    ['postgres://u@db/k?sslpassword=s3cret&sslkey=/k.pem', 'postgres://u@db/k?sslpassword=***&sslkey=***'],
    ['postgres://db/k?options=-c%20search_path%3Dx', 'postgres://db/k?options=-c%20search_path%3Dx'],
    ['sqlite:/var/lib/keyheat/keyheat.db', 'sqlite:/var/lib/keyheat/keyheat.db'],
    ['sqlite:./data/keyheat.db', 'sqlite:./data/keyheat.db'],
  ])('%s', (url, expected) => {
    expect(redactDatabaseUrl(url)).toBe(expected);
  });

  it('cuts credentials from text that is not a parsable URL', () => {
    const out = redactDatabaseUrl('mysql//root:hunter2@host?password=hunter2 x');
    expect(out).not.toContain('hunter2');
  });

  it('never leaves the password of a URL with odd characters', () => {
    for (const password of ['a:b', 'p@ss', 'x/y', 'ü€', '%zz']) {
      const url = `postgres://u:${encodeURIComponent(password)}@h/d?password=${encodeURIComponent(password)}`;
      const out = redactDatabaseUrl(url);
      expect(out).not.toContain(encodeURIComponent(password));
      expect(out).toContain('***');
    }
  });
});
