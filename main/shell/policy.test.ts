import { describe, expect, it } from 'vitest';
import { APP_ENTRY, CONTENT_SECURITY_POLICY, WEB_PREFERENCES, isAllowedNavigation, isPermissionAllowed, resolveAppFile } from './policy.ts';

describe('Electron shell policy', () => {
  it('locks the renderer down', () => {
    expect(WEB_PREFERENCES).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false });
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    expect(CONTENT_SECURITY_POLICY).toMatch(/script-src 'self'/);
  });
  it('blocks navigation away from the app and denies permissions', () => {
    expect(isAllowedNavigation(APP_ENTRY)).toBe(true);
    for (const u of ['https://evil.example/', 'file:///etc/passwd', 'app://parley.evil/', 'javascript:alert(1)', 'garbage']) expect(isAllowedNavigation(u), u).toBe(false);
    for (const p of ['media', 'geolocation', 'notifications', 'clipboard-read', 'hid', 'usb', 'openExternal']) expect(isPermissionAllowed(p)).toBe(false);
  });
  it('serves only files under the renderer folder', () => {
    expect(resolveAppFile('app://parley/', '/opt/parley/renderer')?.file).toBe('/opt/parley/renderer/index.html');
    expect(resolveAppFile('app://parley/assets/a.js', '/opt/parley/renderer')).toMatchObject({ file: '/opt/parley/renderer/assets/a.js', type: expect.stringMatching(/javascript/) });
    for (const u of ['app://parley/../../etc/passwd', 'app://parley/%2e%2e/%2e%2e/etc/passwd', 'app://parley/..%2f..%2fetc/passwd', 'app://parley/%5c..%5c..%5cetc']) {
      const r = resolveAppFile(u, '/opt/parley/renderer');
      expect(r === null || r.file.startsWith('/opt/parley/renderer/'), u).toBe(true);
    }
    for (const u of ['app://parley/a%00b', 'app://other/index.html', 'file:///etc/passwd', 'app://parley/%E0%A4%A', 'not a url']) {
      expect(resolveAppFile(u, '/opt/parley/renderer'), u).toBeNull();
    }
  });
});
