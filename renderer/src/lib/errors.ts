/**
 * Turns whatever a ParleyApi call rejected with into words for the trader: what went wrong and what to
 * do. Errors that crossed Electron's contextBridge keep only their message, so the code is read from the
 * property when present and otherwise from a "code: message" prefix.
 */
export interface Explained {
  code: string;
  message: string;
  action: string;
}

const ACTIONS: Record<string, string> = {
  'invalid-request': 'Check the highlighted fields and try again.',
  'invalid-response': 'The client received something it could not read. Try again; if it repeats, report it to the service desk.',
  'forbidden-sender': 'Reload the window. If it repeats, report it to the service desk.',
  'unknown-call': 'This build of the UI does not match the client. Restart Parley.',
  'not-enrolled': 'Enroll this device first with the token IT gave you.',
  'not-connected': 'Parley is not connected to the gateway. Wait for it to reconnect (see the security panel, F2), then try again.',
  'not-signed-in': 'Sign in again.',
  forbidden: 'Your role does not allow this. Ask your desk head or IT for access if you need it.',
  'not-found': 'It no longer exists; refresh the view.',
  conflict: 'It changed meanwhile (already done, expired or cancelled); look at its current state.',
  denied: 'The gateway refused access for the reason shown. Fix that, then sign in again, or contact the service desk.',
  timeout: 'The gateway did not answer in time. Check your network, then try again; nothing was submitted twice.',
  'config-error': 'The machine configuration is broken. Contact IT and quote the message.',
  internal: 'Something went wrong inside Parley. Try again; if it repeats, report it to the service desk.',
};

const CODE_PREFIX = /^([a-z][a-z-]{2,30}):\s*(.*)$/s;

export function explainError(error: unknown): Explained {
  let code = 'internal';
  let message = 'Unknown error';
  if (error && typeof error === 'object') {
    const e = error as { code?: unknown; message?: unknown };
    if (typeof e.message === 'string' && e.message !== '') message = e.message;
    if (typeof e.code === 'string' && e.code in ACTIONS) code = e.code;
  } else if (typeof error === 'string' && error !== '') {
    message = error;
  }
  // Electron prefixes remote errors with "Error invoking remote method 'x': Error: ".
  message = message.replace(/^Error invoking remote method '[^']*':\s*(?:\w*Error:\s*)?/, '');
  const m = CODE_PREFIX.exec(message);
  if (code === 'internal' && m && m[1] && m[1] in ACTIONS) {
    code = m[1];
    message = m[2] ?? message;
  }
  if (message.length > 500) message = `${message.slice(0, 500)}…`;
  return { code, message, action: ACTIONS[code] ?? ACTIONS.internal! };
}
