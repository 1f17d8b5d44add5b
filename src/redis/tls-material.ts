/**
 * PEM material given for TLS toward Redis, checked before it is stored: a CA bundle, a client
 * certificate and its key must be what Node's TLS can use (a key that does not match its
 * certificate, a certificate without a key, text that is not PEM), so a slip is a 400 naming
 * `tls` at registration rather than a failed connection at every task.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import tls from 'node:tls';
import type { RedisTls } from '../domain/instance.js';

/** Null when the material can be used, else why not (for a human; never the key's text). */
export function tlsMaterialProblem(settings: RedisTls): string | null {
  if ((settings.cert === null) !== (settings.key === null)) return 'a client certificate and its key go together: give both tls.cert and tls.key, or neither';
  if (settings.ca !== null && !certificatesIn(settings.ca)) return 'tls.ca holds no PEM certificate (-----BEGIN CERTIFICATE-----)';
  if (settings.cert !== null && !certificatesIn(settings.cert)) return 'tls.cert holds no PEM certificate (-----BEGIN CERTIFICATE-----)';
  if (settings.key !== null) {
    try {
      createPrivateKey(settings.key);
    } catch {
      return 'tls.key is not a PEM private key keyheat can use (an encrypted key is not supported)';
    }
  }
  try {
    tls.createSecureContext({
      ...(settings.ca === null ? {} : { ca: settings.ca }),
      ...(settings.cert === null ? {} : { cert: settings.cert }),
      ...(settings.key === null ? {} : { key: settings.key }),
    });
  } catch (error) {
    const reason = (error as { code?: string }).code === 'ERR_OSSL_X509_KEY_VALUES_MISMATCH' || /values mismatch/i.test((error as Error).message) ? 'tls.key does not belong to tls.cert' : 'the TLS material cannot be used together';
    return reason;
  }
  return null;
}

function certificatesIn(pem: string): boolean {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) return false;
  try {
    for (const block of blocks) new X509Certificate(block);
    return true;
  } catch {
    return false;
  }
}
