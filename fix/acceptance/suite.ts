/**
 * Runs the acceptance definitions against fresh acceptors (one per definition, so no state leaks between
 * them), over mutual TLS when a PKI is given, else plain TCP.
 *
 * API
 *   DEFINITIONS_DIR   ../shared/fix/acceptance/fix44 relative to the repository
 *   listDefinitions(dir?) → string[]            file names, sorted
 *   runSuite({ dir?, names?, tls?, concurrency? }) → Promise<Array<{ name, ok, error? }>>
 * CLI: bash scripts/node.sh fix/acceptance/suite.ts [--plain] [name-filter]
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createDevPki, issueCertificate } from '../pki/devpki.ts';
import { connectFixs } from '../transport.ts';
import { startAcceptanceAcceptor } from './acceptor.ts';
import { parseDefinition, runDefinition } from './runner.ts';

export const DEFINITIONS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/fix/acceptance/fix44');

export function listDefinitions(dir = DEFINITIONS_DIR): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.def')).sort();
}

export interface SuiteTls { key: string; cert: string; ca: string; clientKey: string; clientCert: string }
export interface DefResult { name: string; ok: boolean; error?: string }

/** Definitions that wait for the acceptor's own heartbeats and TestRequests run on compressed time. */
function waitsForTimers(text: string): boolean {
  return text.split(/\r?\n/).some((l) => /^E(\d+,)?8=.*\x0135=1\x01/.test(l) || (/^E(\d+,)?8=.*\x0135=0\x01/.test(l) && !l.includes('\x01112=')));
}

export async function runOne(dir: string, name: string, tls?: SuiteTls, log?: (s: string) => void): Promise<DefResult> {
  const text = readFileSync(join(dir, name), 'latin1');
  const timers = waitsForTimers(text);
  const acceptor = await startAcceptanceAcceptor({
    ...(tls ? { tls: { key: tls.key, cert: tls.cert, ca: tls.ca } } : {}),
    heartbeatUnitMs: timers ? 250 : 1000,
    logoutTimeoutMs: 500,
  });
  const connect = async (): Promise<Duplex> => {
    if (!tls) {
      const s = netConnect(acceptor.port, '127.0.0.1');
      await new Promise<void>((res, rej) => { s.once('connect', res); s.once('error', rej); });
      return s;
    }
    const c = await connectFixs({ host: '127.0.0.1', port: acceptor.port, key: tls.clientKey, cert: tls.clientCert, ca: tls.ca, servername: 'localhost' });
    return c.socket;
  };
  try {
    const r = await runDefinition(parseDefinition(text), connect, { expectTimeoutMs: 15_000, ...(log ? { log } : {}) });
    return { name, ok: r.ok, ...(r.error ? { error: r.error } : {}) };
  } catch (e) {
    return { name, ok: false, error: (e as Error).message };
  } finally {
    await acceptor.close();
  }
}

export async function runSuite(opts: { dir?: string; names?: string[]; tls?: SuiteTls; concurrency?: number } = {}): Promise<DefResult[]> {
  const dir = opts.dir ?? DEFINITIONS_DIR;
  const names = opts.names ?? listDefinitions(dir);
  const results: DefResult[] = new Array(names.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < names.length) {
      const i = next++;
      results[i] = await runOne(dir, names[i]!, opts.tls);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 4) }, worker));
  return results;
}

/** A PKI for the suite in a temp dir: the runner's client certificate may act as any of the three clients. */
export async function suitePki(): Promise<{ tls: SuiteTls; cleanup: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'fix-acceptance-pki-'));
  const pki = await createDevPki(dir, { clients: [] });
  const client = await issueCertificate(dir, { name: 'acceptance-runner', alg: 'ec', kind: 'client', compIds: ['TW44', 'TW', 'NO_CHECK_FIELDS_HAVE_VALUES'] });
  return {
    tls: { key: pki.gateway.ec.keyPem, cert: pki.gateway.ec.certPem, ca: pki.caCertPem, clientKey: client.keyPem, clientCert: client.certPem },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const plain = args.includes('--plain');
  const verbose = args.includes('-v');
  const filter = args.find((a) => !a.startsWith('-'));
  const names = listDefinitions().filter((n) => !filter || n.includes(filter));
  const pki = plain ? undefined : await suitePki();
  let failed = 0;
  if (verbose) {
    for (const n of names) {
      const r = await runOne(DEFINITIONS_DIR, n, pki?.tls, (s) => console.log(s));
      console.log(`${r.ok ? 'PASS' : 'FAIL'} ${r.name}${r.error ? `\n  ${r.error}` : ''}`);
      if (!r.ok) failed++;
    }
  } else {
    for (const r of await runSuite({ names, ...(pki ? { tls: pki.tls } : {}) })) {
      console.log(`${r.ok ? 'PASS' : 'FAIL'} ${r.name}${r.error ? `\n  ${r.error}` : ''}`);
      if (!r.ok) failed++;
    }
  }
  console.log(`${names.length - failed}/${names.length} passed (${plain ? 'plain TCP' : 'mutual TLS'})`);
  pki?.cleanup();
  process.exit(failed ? 1 : 0);
}
