/**
 * The Electron main process: a thin shell around ClientCore. One locked-down window whose content comes from
 * the app:// protocol, the IPC contract on one invoke channel with every message's sender frame checked
 * against the app's origin, no navigation, no new windows, no permissions. (The Electron binary cannot be
 * downloaded on the build machines; this file is type-checked there and the same core runs in the preview.)
 */
import { app, BrowserWindow, ipcMain, powerMonitor, protocol, session } from 'electron';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PostureAgent } from '../../agent/collect.ts';
import { ClientCore } from '../core.ts';
import { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL } from '../ipc/contract.ts';
import { createCallHandler } from '../ipc/handler.ts';
import { APP_ENTRY, APP_ORIGIN, APP_SCHEME, CONTENT_SECURITY_POLICY, isAllowedNavigation, isPermissionAllowed, resolveAppFile } from './policy.ts';

const RENDERER_DIR = path.join(import.meta.dirname, '..', 'renderer');
const PRELOAD = path.join(import.meta.dirname, 'preload.js');

// Development runs (npm start) keep their data in the demo folder; a packaged build uses the OS default.
if (!app.isPackaged && process.env.PARLEY_DATA_DIR) app.setPath('userData', process.env.PARLEY_DATA_DIR);

protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: false, corsEnabled: false } }]);
app.enableSandbox();

async function serveApp(request: Request): Promise<Response> {
  const target = resolveAppFile(request.url, RENDERER_DIR);
  if (!target) return new Response('not found', { status: 404 });
  try {
    const body = await readFile(target.file);
    return new Response(body, {
      headers: { 'content-type': target.type, 'content-security-policy': CONTENT_SECURITY_POLICY, 'x-content-type-options': 'nosniff' },
    });
  } catch {
    return new Response('not found', { status: 404 });
  }
}

async function start(): Promise<void> {
  await app.whenReady();
  protocol.handle(APP_SCHEME, serveApp);
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_wc, permission, callback) => callback(isPermissionAllowed(permission)));
  ses.setPermissionCheckHandler((_wc, permission) => isPermissionAllowed(permission));
  ses.setDevicePermissionHandler(() => false);

  // Development runs (npm start) may point at the demo gateway's policy; a packaged build reads only IT's file.
  const devPolicy = !app.isPackaged ? process.env.PARLEY_POLICY : undefined;
  const core = new ClientCore({ dataDir: app.getPath('userData'), host: 'electron', posture: new PostureAgent(), ...(devPolicy ? { policyPath: devPolicy } : {}) });
  const handle = createCallHandler({ services: core.services, allowedOrigins: [APP_ORIGIN] });
  ipcMain.handle(IPC_CALL_CHANNEL, (event, envelope: unknown) =>
    handle({ url: event.senderFrame?.url ?? '', topFrame: !!event.senderFrame && event.senderFrame.parent === null }, envelope),
  );
  powerMonitor.on('resume', () => core.onResume());

  // Written out literally at the call so reviewers and scanners (Electronegativity) see every setting here;
  // main-source.test.ts parses this file and checks the literal against policy.ts's tested WEB_PREFERENCES.
  const win = new BrowserWindow({
    width: 1440, height: 900, show: false,
    webPreferences: {
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
      disableBlinkFeatures: 'Auxclick',
      preload: PRELOAD,
    },
  });
  core.events.subscribe((e) => {
    if (!win.isDestroyed()) win.webContents.send(IPC_EVENT_CHANNEL, e);
  });
  win.once('ready-to-show', () => win.show());
  await core.start();
  await win.loadURL(APP_ENTRY);

  app.on('window-all-closed', () => {
    void core.stop().finally(() => app.quit());
  });
}

app.on('web-contents-created', (_event, contents) => {
  contents.on('will-navigate', (e, url) => {
    if (!isAllowedNavigation(url)) e.preventDefault();
  });
  contents.on('will-redirect', (e, url) => {
    if (!isAllowedNavigation(url)) e.preventDefault();
  });
  contents.on('will-attach-webview', (e) => e.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
});

start().catch((e: unknown) => {
  console.error('parley: failed to start', e);
  app.exit(1);
});
