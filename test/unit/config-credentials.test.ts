/** A token or an AK listed twice in `projects:` is a config error naming both places, never the secret. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load-config.js';

const T1 = 'token-one-000000000000000001';
const T2 = 'token-two-000000000000000002';

function load(projects: unknown[]): () => unknown {
  return () => loadConfig({ env: {}, flags: { projects } });
}

describe('credentials listed twice', () => {
  it.each([
    ['under two projects', [{ project_id: 'a', tokens: [T2, T1] }, { project_id: 'b', readonly_tokens: [T1] }], 'projects[0].tokens[1] and projects[1].readonly_tokens[0]'],
    ['as admin and read-only', [{ project_id: 'a', tokens: [T1], readonly_tokens: [T1] }], 'projects[0].tokens[0] and projects[0].readonly_tokens[0]'],
    ['twice in one list', [{ project_id: 'a', tokens: [T1, T2, T1] }], 'projects[0].tokens[0] and projects[0].tokens[2]'],
    ['as an AK of two projects', [{ project_id: 'a', access_keys: [{ ak: 'AK1', sk: 's' }] }, { project_id: 'b', access_keys: [{ ak: 'AK1', sk: 't' }] }], 'projects[0].access_keys[0].ak and projects[1].access_keys[0].ak'],
  ])('refuses a credential listed %s', (_name, projects, places) => {
    expect(load(projects)).toThrow(ConfigError);
    try {
      load(projects)();
    } catch (error) {
      expect((error as Error).message).toContain(places);
      expect((error as Error).message).not.toContain(T1);
    }
  });

  it('accepts distinct tokens and keys', () => {
    expect(load([{ project_id: 'a', tokens: [T1], access_keys: [{ ak: 'AK1', sk: 's' }] }, { project_id: 'b', readonly_tokens: [T2], access_keys: [{ ak: 'AK2', sk: 's' }] }])).not.toThrow();
  });
});
