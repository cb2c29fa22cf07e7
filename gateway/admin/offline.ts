/**
 * The admin context with no gateway running: the admin CLI runs the same handlers in its own process against
 * the files the gateway would use (users.json, the registry and CRL, the token store, the audit chain). Only
 * one process appends to the audit chain at a time, and with no gateway that is this one.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { AuditLog } from '../audit/log.ts';
import type { GatewayConfig } from '../config.ts';
import { GatewayCa } from '../enroll/ca.ts';
import { CertRegistry } from '../enroll/registry.ts';
import { TokenStore } from '../enroll/tokens.ts';
import { UserDirectory } from '../identity/directory.ts';
import { SecretBox } from '../identity/secret-box.ts';
import { AdminFailure } from './contract.ts';
import type { AdminContext } from './context.ts';

function readPem(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new AdminFailure('refused', `${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export function filesContext(cfg: GatewayConfig): AdminContext {
  const p = cfg.paths;
  let users: Promise<UserDirectory> | undefined;
  let registry: CertRegistry | undefined;
  let tokens: TokenStore | undefined;
  // The same CRL validity as the gateway signs with (enroll.crlValiditySec).
  const reg = () => registry ??= new CertRegistry({ issued: p.issued, revoked: p.revoked, crl: p.crl, crlValidityMs: cfg.enroll.crlValiditySec * 1000 });
  const ca = () => GatewayCa.load(readPem(p.caCert, 'CA certificate'), readPem(p.caKey, 'CA private key'));
  return {
    where: 'files',
    actor: 'admin-cli (gateway not running)',
    usersFile: p.users,
    users: () => users ??= (async () => {
      mkdirSync(dirname(p.users), { recursive: true, mode: 0o700 });
      const secrets = SecretBox.openOrCreate(p.usersKey);
      return existsSync(p.users) ? UserDirectory.load(p.users, secrets) : UserDirectory.empty(p.users, secrets);
    })(),
    // Opened on first use: `tokens list` must not need a readable CRL, nor `certs list` a token file.
    get registry() { return reg(); },
    get tokens() { return tokens ??= TokenStore.open(p.tokens); },
    ca,
    // crl.pem rewritten; a gateway started later (or one that was starting) adopts the file.
    publishCrl: async () => { await reg().writeCrl(await ca()); },
    audit: async (type, data) => {
      mkdirSync(dirname(p.audit), { recursive: true, mode: 0o700 });
      const log = await AuditLog.open(p.audit, { keyFile: p.auditKey, checkpointFile: p.auditCheckpoints });
      try { await log.append(type, data); } finally { await log.close(); }
    },
    gateway: null,
  };
}
