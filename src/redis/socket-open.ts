/**
 * Opening the socket of a connection to a Redis node: plain TCP, or TLS as redis-cli does it
 * (the CAs given instead of the system's, a client certificate, SNI, verification unless
 * insecure), and what a socket error means: a certificate that did not verify or a handshake
 * the server refused is a failure of kind 'tls' saying which; anything else 'unreachable'.
 */
import net from 'node:net';
import tls from 'node:tls';
import { serverText } from '../domain/display-text.js';
import type { RedisEndpoint, RedisTls } from '../domain/instance.js';
import { RedisFailure } from '../domain/redis-failure.js';

/** Certificate checks that failed on keyheat's side (Node's codes for them). */
const VERIFY_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * A socket error as a failure: a certificate that did not verify, or a handshake the server
 * refused, is 'tls' (saying which); anything else is 'unreachable'.
 */
export function socketFailure(address: string, error: NodeJS.ErrnoException, doing = 'the connection to'): RedisFailure {
  const code = error.code ?? '';
  if (VERIFY_CODES.has(code)) {
    const hint = code === 'ERR_TLS_CERT_ALTNAME_INVALID' ? ' (give the name it has with --sni or tls.servername)' : ' (give the CA that signed it with --cacert or tls.ca)';
    return new RedisFailure('tls', address, `${address}: certificate verification failed: ${serverText(error.message)}${hint}`, { cause: error });
  }
  if (code.startsWith('ERR_SSL_') || code === 'EPROTO') {
    const why = /CERTIFICATE_REQUIRED|HANDSHAKE_FAILURE|UNKNOWN_CA|BAD_CERTIFICATE/i.test(code)
      ? ' (does it require a client certificate? give one with --cert/--key or tls.cert/tls.key)'
      : /WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG/i.test(code)
        ? ' (is this a plain redis:// port?)'
        : '';
    return new RedisFailure('tls', address, `${address}: the TLS handshake failed (${serverText(code)})${why}`, { cause: error });
  }
  return new RedisFailure('unreachable', address, `${doing} ${address} failed (${serverText(code || error.message)})`, { cause: error });
}

/** Opens the socket (TLS when asked), handing it to `track` at once so a deadline can destroy it mid-connect. */
export function openSocket(endpoint: RedisEndpoint, host: string, address: string, track: (socket: net.Socket) => void): Promise<net.Socket> {
  return new Promise<net.Socket>((resolve, reject) => {
    const settings = endpoint.tls;
    let socket: net.Socket;
    try {
      socket = settings !== null ? tls.connect(tlsOptions(endpoint, settings, host)) : net.connect({ host, port: endpoint.port });
    } catch (error) {
      // Node refuses the PEM material itself (a key that does not match its certificate...).
      reject(new RedisFailure('tls', address, `the TLS settings cannot be used: ${serverText((error as Error).message)}`, { cause: error }));
      return;
    }
    track(socket);
    const onError = (error: NodeJS.ErrnoException): void => {
      socket.destroy();
      reject(socketFailure(address, error, 'connecting to'));
    };
    socket.once('error', onError);
    socket.once(settings !== null ? 'secureConnect' : 'connect', () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

/**
 * Node's TLS options for a connection, as redis-cli makes them: the given CAs instead of the
 * system's, the client certificate, SNI (the servername given, else the host when it is a
 * name), and verification of the server's certificate unless `insecure`.
 */
function tlsOptions(endpoint: RedisEndpoint, settings: RedisTls, host: string): tls.ConnectionOptions {
  const servername = settings.servername ?? (net.isIP(endpoint.host) !== 0 ? undefined : endpoint.host);
  return {
    host,
    port: endpoint.port,
    ...(servername === undefined ? {} : { servername }),
    ...(settings.ca === null ? {} : { ca: settings.ca }),
    ...(settings.cert === null ? {} : { cert: settings.cert }),
    ...(settings.key === null ? {} : { key: settings.key }),
    rejectUnauthorized: !settings.insecure,
    // With an IP literal and no servername, the certificate must name that IP.
    ...(servername === undefined ? { checkServerIdentity: (_: string, cert: tls.PeerCertificate) => tls.checkServerIdentity(endpoint.host, cert) } : {}),
  };
}
