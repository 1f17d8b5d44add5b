import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { aclFamilyOf, aclRules, aclSetuser, type AclFamily, type AclFeature } from '../../src/domain/acl-rules.js';

/** docs/acl.md shows exactly the rules the least-privilege tests grant (src/domain/acl-rules.ts). */
describe('docs/acl.md', () => {
  const doc = readFileSync(path.resolve(import.meta.dirname, '../../docs/acl.md'), 'utf8');
  const families: AclFamily[] = ['7.2+', '7.0', '6.2'];
  const features: AclFeature[] = ['hot', 'big', 'expire', 'sampling', 'snapshot'];

  it.each(families.flatMap((family) => features.map((feature) => [family, feature] as const)))('gives the %s rules of %s', (family, feature) => {
    expect(doc).toContain(`ACL SETUSER keyheat on >PASSWORD ${aclSetuser(family, [feature]).join(' ')}\n`);
  });

  it('gives the cluster rules and names every rule in its table', () => {
    expect(doc).toContain(`\n${aclRules('cluster', '7.2+').join(' ')}\n`);
    const rules = new Set(families.flatMap((family) => features.flatMap((feature) => aclRules(feature, family))));
    for (const rule of rules) expect(doc, rule).toContain(`\`${rule.replace('|', '\\|')}\``);
  });

  it('places each server in its family by the Redis version it is compatible with', () => {
    expect([aclFamilyOf('5.0.14'), aclFamilyOf('6.2.16'), aclFamilyOf('7.0.15'), aclFamilyOf('7.2.4'), aclFamilyOf('8.6.0')]).toEqual([null, '6.2', '7.0', '7.2+', '7.2+']);
  });
});
