/**
 * Every token and every access key of `projects:` must appear once: a token listed under two
 * projects, or as both admin and read-only, would otherwise silently take the last entry's
 * project and role. The error names both places, never the secret itself.
 */
import type { ProjectConfig } from './config-schema.js';

/** The first repeated token or AK, as "projects[0].tokens[1] and projects[1].readonly_tokens[0] ...", or null. */
export function findRepeatedCredential(projects: readonly ProjectConfig[]): string | null {
  const tokens = new Map<string, string>();
  const keys = new Map<string, string>();
  for (const [p, project] of projects.entries()) {
    for (const list of ['tokens', 'readonly_tokens'] as const) {
      for (const [i, token] of project[list].entries()) {
        const place = `projects[${p}].${list}[${i}]`;
        const earlier = tokens.get(token);
        if (earlier !== undefined) return `${earlier} and ${place} hold the same token (a token belongs to one project, with one role)`;
        tokens.set(token, place);
      }
    }
    for (const [i, key] of project.access_keys.entries()) {
      const place = `projects[${p}].access_keys[${i}].ak`;
      const earlier = keys.get(key.ak);
      if (earlier !== undefined) return `${earlier} and ${place} name the same access key (an AK belongs to one project)`;
      keys.set(key.ak, place);
    }
  }
  return null;
}
