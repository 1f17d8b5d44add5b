/**
 * The ACL rules a least-privilege Redis user needs for each kind of analysis, per version family:
 * what docs/acl.md shows (a test keeps them the same) and what the suite grants its ACL users,
 * one feature at a time, on Redis 6.2, 7.0, 7.2, 7.4 and Valkey 8. Derived from the commands
 * keyheat sends (each file of src/redis/ and src/engine/ says which):
 * - every connection: AUTH (always allowed), CLIENT SETNAME keyheat, INFO;
 * - keys are only read: read-only key permissions (%R~*, Redis 7.0+; ~* on 6.2, which has no
 *   read-only form), no channels;
 * - optional commands keyheat does without, saying why: CONFIG GET (LFU settings assumed),
 *   CLIENT NO-TOUCH (sizes then count as a read of each key), MEMORY USAGE (--memory answered
 *   without it), TIME (the node's clock taken as keyheat's).
 */

/** Redis 6.2 (~* keys; no CLIENT NO-TOUCH), 7.0 (%R~*; ACL SETUSER refuses +client|no-touch, which 7.0 lacks), 7.2+ (and Valkey 8+). */
export type AclFamily = '6.2' | '7.0' | '7.2+';

/** 'snapshot' serves offline key analysis of a fresh RDB too (the same transfer, from the node named). */
export type AclFeature = 'hot' | 'big' | 'expire' | 'sampling' | 'snapshot' | 'cluster';

/** The family of a server by the Redis version it is compatible with (Valkey says 7.2.4); null before 6.0 (no ACL). */
export function aclFamilyOf(redisVersion: string): AclFamily | null {
  const [major = 0, minor = 0] = redisVersion.split('.').map((part) => Number.parseInt(part, 10) || 0);
  if (major < 6) return null;
  if (major === 6) return '6.2';
  if (major === 7 && minor < 2) return '7.0';
  return '7.2+';
}

const SIZES = ['+type', '+strlen', '+llen', '+scard', '+zcard', '+hlen', '+xlen'];

/** The rules of one feature in one family, beyond the base every connection needs. */
export function aclRules(feature: AclFeature, family: AclFamily): readonly string[] {
  const noTouch = family === '7.2+' ? ['+client|no-touch'] : [];
  switch (feature) {
    case 'hot':
      // MEMORY USAGE sizes module-type keys; CONFIG GET reads the LFU settings (optional).
      return ['+select', '+scan', '+object|freq', ...SIZES, '+memory|usage', '+config|get', ...noTouch];
    case 'big':
      return ['+select', '+scan', ...SIZES, '+pttl', '+memory|usage', ...noTouch];
    case 'expire':
      // SCAN reclaims the expired keys it visits; PTTL reads each live key's TTL.
      return ['+select', '+scan', '+pttl'];
    case 'sampling':
      // The LFU scan after the window needs the hot key rules too (not on a policy without LFU).
      return ['+monitor', '+command', '+client|id', '+client|list'];
    case 'snapshot':
      return ['+sync', '+replconf', '+time', '+config|get', ...noTouch];
    case 'cluster':
      // With hot or big keys on a Redis Cluster: the topology, slots re-read after a migration, redirects, replicas.
      return ['+cluster|nodes', '+cluster|countkeysinslot', '+cluster|getkeysinslot', '+asking', '+readonly', '+ping'];
  }
}

/** What every connection needs: read-only keys, no channels, nothing else but INFO and naming itself. */
export function aclBase(family: AclFamily): readonly string[] {
  return ['resetkeys', family === '6.2' ? '~*' : '%R~*', 'resetchannels', '-@all', '+info', '+client|setname'];
}

/** The whole ACL SETUSER argument list for a user of these features. */
export function aclSetuser(family: AclFamily, features: readonly AclFeature[]): string[] {
  return [...aclBase(family), ...new Set(features.flatMap((feature) => aclRules(feature, family)))];
}
