import type { ParleyApi } from '../../main/ipc/contract.ts';

declare global {
  interface Window {
    parley?: ParleyApi;
  }
}

/** The preload's API, or null when the page was opened outside the app and the preview. */
export function findApi(): ParleyApi | null {
  const api = window.parley;
  return api && typeof api.getState === 'function' ? api : null;
}
