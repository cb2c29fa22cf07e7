/**
 * The one small interface in front of the OS keychain (macOS Keychain, Windows Credential Manager,
 * the freedesktop Secret Service on Linux) via keytar.
 */
import { createRequire } from 'node:module';

export const KEYCHAIN_SERVICE = 'Parley';

export interface SecretStore {
  get(account: string): Promise<string | null>;
  set(account: string, secret: string): Promise<void>;
  delete(account: string): Promise<boolean>;
}

export class KeychainUnavailableError extends Error {
  constructor(cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`the OS keychain is not available (${why}); on Linux a Secret Service such as gnome-keyring must be running and unlocked`);
    this.name = 'KeychainUnavailableError';
  }
}

type Keytar = typeof import('keytar');
let keytar: Keytar | undefined;
// Loaded lazily: keytar is a native addon, and code that never touches the keychain shouldn't need it.
function loadKeytar(): Keytar {
  keytar ??= createRequire(import.meta.url)('keytar') as Keytar;
  return keytar;
}

export class KeytarStore implements SecretStore {
  readonly service: string;
  constructor(service = KEYCHAIN_SERVICE) {
    this.service = service;
  }
  async get(account: string): Promise<string | null> {
    return wrap(() => loadKeytar().getPassword(this.service, account));
  }
  async set(account: string, secret: string): Promise<void> {
    return wrap(() => loadKeytar().setPassword(this.service, account, secret));
  }
  async delete(account: string): Promise<boolean> {
    return wrap(() => loadKeytar().deletePassword(this.service, account));
  }
}

async function wrap<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (e) {
    throw new KeychainUnavailableError(e);
  }
}

/** For unit tests of code around the keychain only; integration tests use KeytarStore. */
export class MemoryStore implements SecretStore {
  readonly entries = new Map<string, string>();
  async get(account: string) {
    return this.entries.get(account) ?? null;
  }
  async set(account: string, secret: string) {
    this.entries.set(account, secret);
  }
  async delete(account: string) {
    return this.entries.delete(account);
  }
}
