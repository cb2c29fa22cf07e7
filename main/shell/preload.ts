/**
 * The preload: exposes exactly the contract's API as window.parley through contextBridge — one function per
 * call plus `on` for events — and never ipcRenderer itself. Requests, responses and events are validated
 * against the contract here as well as in main. (Sandboxed preloads cannot require node_modules: the
 * packaging step bundles this file with the contract and zod.)
 */
import { contextBridge, ipcRenderer } from 'electron';
import { callNames, createParleyApi, IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL, type EventEnvelope } from '../ipc/contract.ts';

const api = createParleyApi({
  invoke: (envelope) => ipcRenderer.invoke(IPC_CALL_CHANNEL, envelope),
  subscribe: (handler) => {
    ipcRenderer.on(IPC_EVENT_CHANNEL, (_event, envelope: EventEnvelope) => handler(envelope));
  },
});

const exposed: Record<string, unknown> = { contractVersion: api.contractVersion, on: api.on.bind(api) };
for (const name of callNames) exposed[name] = (api[name] as (...a: unknown[]) => unknown).bind(api);
contextBridge.exposeInMainWorld('parley', exposed);
