/**
 * The Electron shell's security decisions as plain data and functions (no `electron` import), so they are
 * unit-tested under Node even where the Electron binary cannot run.
 */
import path from 'node:path';

export const APP_SCHEME = 'app';
export const APP_HOST = 'parley';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY = `${APP_ORIGIN}/index.html`;

/** No inline script or style, no eval, nothing fetched from anywhere but the app itself. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

export const WEB_PREFERENCES = {
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  webviewTag: false,
  navigateOnDragDrop: false,
  spellcheck: false,
  experimentalFeatures: false,
  // Middle-click would otherwise ask for a new window (denied anyway by setWindowOpenHandler): off at the source.
  disableBlinkFeatures: 'Auxclick',
} as const;

/**
 * Permission requests: everything is denied. WebAuthn (navigator.credentials.get with a security key) is
 * not a permission request in Chromium/Electron; it only needs a secure context, which app:// is.
 */
export function isPermissionAllowed(permission: string): boolean {
  void permission;
  return false;
}

/** Only the app's own entry may be loaded; every navigation elsewhere is blocked. */
export function isAllowedNavigation(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST;
  } catch {
    return false;
  }
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.map': 'application/json',
};

/** Maps an app:// URL to a file under the renderer folder; null for anything outside it or malformed. */
export function resolveAppFile(url: string, rendererDir: string): { file: string; type: string } | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== `${APP_SCHEME}:` || u.host !== APP_HOST) return null;
  let rel: string;
  try {
    rel = decodeURIComponent(u.pathname);
  } catch {
    return null;
  }
  if (rel.includes('\0')) return null;
  const root = path.resolve(rendererDir);
  const file = path.resolve(root, '.' + (rel === '/' ? '/index.html' : rel));
  if (!file.startsWith(root + path.sep)) return null;
  return { file, type: TYPES[path.extname(file)] ?? 'application/octet-stream' };
}
