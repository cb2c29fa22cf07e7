/**
 * `npm run pki -- --out .data/pki [--clients TW44,CLIENT1] [--days 30]`  creates a fresh dev PKI (see devpki.ts)
 * `npm run pki -- --out .data/pki --revoke <serial | path/to/cert.pem>`  revokes and re-issues the CRL
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { createDevPki, revokeCertificate } from './devpki.ts';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: '.data/pki' },
      clients: { type: 'string' },
      days: { type: 'string' },
      revoke: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log('usage: pki --out <dir> [--clients A,B] [--days N] | --out <dir> --revoke <serial|cert.pem>');
    return;
  }
  const dir = values.out!;
  if (values.revoke) {
    const arg = values.revoke;
    const target = /^[0-9a-fA-F]+$/.test(arg) ? arg : await readFile(arg, 'utf8');
    await revokeCertificate(dir, target);
    console.log(`revoked ${arg}; CRL re-issued at ${dir}/ca.crl.pem`);
    return;
  }
  const days = values.days ? Number(values.days) : undefined;
  if (days !== undefined && !(Number.isInteger(days) && days > 0 && days <= 3650)) throw new Error('--days must be 1..3650');
  const clients = values.clients ? values.clients.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
  for (const c of clients ?? []) if (!/^[A-Za-z0-9_.-]{1,64}$/.test(c)) throw new Error(`bad client name ${c}`);
  const pki = await createDevPki(dir, { clients, days });
  console.log(`dev PKI written to ${dir} (throwaway; never commit it)`);
  console.log(`  CA:      ${pki.caCertPath}   CRL: ${pki.crlPath}`);
  console.log(`  gateway: ${pki.gateway.ec.certPath} (P-256), ${pki.gateway.rsa.certPath} (RSA-2048)`);
  for (const [name, c] of Object.entries(pki.clients)) console.log(`  client ${name}: ${c.ec.certPath}, ${c.rsa.certPath}`);
}

main().catch((e: unknown) => {
  console.error(`pki: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
