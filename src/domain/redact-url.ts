/**
 * Database URLs without their secrets, for every log line and message that shows one. Both
 * places a libpq-style URL may carry a password are covered: `user:pass@host` and query
 * parameters such as `?password=` or `?sslpassword=`.
 */
const SECRET_PARAM = /pass|secret|token|key/i;

export function redactDatabaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return redactUnparsed(url);
  }
  // `sqlite:PATH` has no authority: leave paths alone (new URL would normalise them).
  if (!url.includes('//')) return redactUnparsed(url);
  if (parsed.password !== '') parsed.password = '***';
  for (const name of [...parsed.searchParams.keys()]) {
    if (SECRET_PARAM.test(name)) parsed.searchParams.set(name, '***');
  }
  return parsed.toString().replace(/%2A%2A%2A/g, '***');
}

/** Text that is not a URL (or not one new URL reads): cut what looks like a credential anyway. */
function redactUnparsed(text: string): string {
  return text
    .replace(/(\/\/[^:@/\s]*):[^@\s]*@/g, '$1:***@')
    .replace(/([?&;][^=&\s]*(?:pass|secret|token|key)[^=&\s]*=)[^&\s]*/gi, '$1***');
}
