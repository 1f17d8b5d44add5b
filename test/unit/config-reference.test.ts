import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configReference } from '../../src/config/config-reference.js';
import { loadConfig } from '../../src/config/load-config.js';

const FILE = path.resolve(import.meta.dirname, '../../docs/configuration.md');

describe('docs/configuration.md', () => {
  it('is what the config schema makes (run npm run docs:config after changing an option)', () => {
    expect(readFileSync(FILE, 'utf8')).toBe(configReference());
  });

  it('names every option with its default, as keyheat applies it', () => {
    const text = configReference();
    const defaults = loadConfig({ env: {} });
    expect(text).toContain(`| \`server.port\` | integer 0-65,535 | \`${defaults.server.port}\` | \`KEYHEAT_SERVER_PORT\`, \`KEYHEAT_PORT\` |`);
    expect(text).toContain(`| \`metrics.hot_keys\` | integer 0-100 | \`${defaults.metrics.hot_keys}\``);
    expect(text).toContain('| `notifications.webhooks[].events` |');
    expect(text).toContain('`KEYHEAT_NETWORK_ALLOW` (comma-separated)');
    // The environment variable shown for an option is one keyheat reads.
    expect(loadConfig({ env: { KEYHEAT_ANALYSIS_MAX_BLOCK_US: '120' } }).analysis.max_block_us).toBe(120);
    expect(text).toContain('`KEYHEAT_ANALYSIS_MAX_BLOCK_US`');
  });
});
