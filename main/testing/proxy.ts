/** A byte-level TCP proxy for tests: it can black-hole gateway→client bytes and cut every connection (a network drop). */
import net from 'node:net';

export function startProxy(targetPort: number) {
  const pairs = new Set<[net.Socket, net.Socket]>();
  const state = { blackhole: false };
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    client.on('data', (d) => upstream.write(d));
    upstream.on('data', (d) => {
      if (!state.blackhole) client.write(d);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  return new Promise<{ port: number; state: typeof state; cut: () => void; close: () => Promise<void> }>((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: (server.address() as net.AddressInfo).port,
        state,
        cut: () => {
          for (const [a, b] of pairs) {
            a.destroy();
            b.destroy();
          }
          pairs.clear();
        },
        close: () => new Promise((r) => server.close(() => r())),
      });
    });
  });
}

