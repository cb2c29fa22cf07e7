/**
 * Asks the gateway's published CRL whether this device's certificate is revoked. The session uses it when a
 * connection is dropped right after the handshake (the acceptor checks the CRL after TLS 1.3's handshake,
 * so the client sees no alert): a definite "revoked" then becomes the enrollment-needed state instead of an
 * endless reconnect loop. The CRL's signature is checked against the configured CA.
 */
import { get } from 'node:https';
import { x509 } from './x509.ts';
import type { EnrollEndpoint } from './client.ts';

const MAX_CRL = 4 * 1024 * 1024;

function fetchText(url: URL, ep: EnrollEndpoint): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get(url, { ...(ep.ca ? { ca: ep.ca } : {}), minVersion: 'TLSv1.3', rejectUnauthorized: true, agent: false, timeout: ep.timeoutMs ?? 10_000 }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`CRL endpoint answered HTTP ${res.statusCode}`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_CRL) req.destroy(new Error('CRL too large'));
        else chunks.push(c);
      });
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('CRL endpoint timed out')));
    req.on('error', reject);
  });
}

/** true: revoked per a CRL signed by one of the CAs; false: not listed; throws when the CRL cannot be had or trusted. */
export async function isRevokedPerCrl(ep: EnrollEndpoint, certificatePem: string): Promise<boolean> {
  const base = new URL(ep.url.replace(/\/v1\/(enroll|renew)\/?$/, '/'));
  const text = await fetchText(new URL('/v1/crl', base), ep);
  const crl = new x509.X509Crl(text);
  const cas = (ep.ca ?? []).map((p) => new x509.X509Certificate(p));
  let trusted = false;
  for (const ca of cas) {
    if (await crl.verify({ publicKey: ca }).catch(() => false)) {
      trusted = true;
      break;
    }
  }
  if (!trusted) throw new Error('the CRL is not signed by the configured CA');
  return crl.findRevoked(new x509.X509Certificate(certificatePem)) !== null;
}
