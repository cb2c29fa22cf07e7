import si from 'systeminformation';

/** The part of systeminformation the agent reads; injectable so other platforms' collectors run on fixtures. */
export interface SystemInfo {
  osInfo(): Promise<{ platform: string; distro: string; release: string; codename: string; kernel: string; arch: string; build: string; serial: string; uefi: boolean | null }>;
  uuid(): Promise<{ os: string; hardware: string; macs: string[] }>;
  system(): Promise<{ manufacturer: string; model: string; serial: string; uuid: string; virtual: boolean }>;
  blockDevices(): Promise<Array<{ name: string; type: string; fsType: string; mount: string }>>;
}

export const systemInformation: SystemInfo = {
  osInfo: () => si.osInfo(),
  uuid: () => si.uuid(),
  system: () => si.system(),
  blockDevices: () => si.blockDevices(),
};
