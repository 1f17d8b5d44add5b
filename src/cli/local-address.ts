/** Where a client on this machine reaches a server listening on `host`: loopback for the wildcard addresses, IPv6 in brackets (for a URL). */
export function localUrlHost(host: string): string {
  if (host === '' || host === '0.0.0.0') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '[::1]';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
