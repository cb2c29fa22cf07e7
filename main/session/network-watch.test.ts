import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { networkFingerprint, NetworkWatcher } from './network-watch.ts';

const iface = (address: string, internal = false): NetworkInterfaceInfo =>
  ({ address, family: 'IPv4', internal, netmask: '255.255.255.0', mac: '00:00:00:00:00:00', cidr: null }) as NetworkInterfaceInfo;

describe('NetworkWatcher', () => {
  it('fingerprints external addresses only, order-independent', () => {
    expect(networkFingerprint({ lo: [iface('127.0.0.1', true)], eth0: [iface('10.0.0.2')] })).toBe('eth0/IPv4/10.0.0.2');
    expect(networkFingerprint({ b: [iface('2.2.2.2')], a: [iface('1.1.1.1')] })).toBe(networkFingerprint({ a: [iface('1.1.1.1')], b: [iface('2.2.2.2')] }));
  });

  it('reports an address change and a resume from sleep', () => {
    let ifaces: NodeJS.Dict<NetworkInterfaceInfo[]> = { wlan0: [iface('192.168.1.20')] };
    let now = 1_000_000;
    const w = new NetworkWatcher({ intervalMs: 5_000, read: () => ifaces, now: () => now });
    const events: string[] = [];
    w.on('change', (c) => events.push(`change:${c.after}`));
    w.on('resume', () => events.push('resume'));
    w.start();
    now += 5_000;
    w.tick();
    expect(events).toEqual([]);
    ifaces = { wlan0: [iface('10.9.8.7')] };
    now += 5_000;
    w.tick();
    now += 3_600_000;
    w.tick();
    w.stop();
    expect(events).toEqual(['change:wlan0/IPv4/10.9.8.7', 'resume']);
  });

  it('survives a failing interface read', () => {
    const w = new NetworkWatcher({ read: () => { throw new Error('EPERM'); } });
    const events: unknown[] = [];
    w.on('change', (c) => events.push(c));
    w.start();
    w.tick();
    w.stop();
    expect(events).toEqual([]);
  });
});
