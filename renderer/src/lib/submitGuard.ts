/**
 * Guards a trade action against double submission (double click, Enter held down, a click during the
 * round trip). While an action for a key is in flight, further calls get the same promise; once it
 * succeeded, the key is spent and further calls are refused, because hitting a quote twice would be two
 * trades. A failure frees the key so the trader can retry.
 */
export class SubmitGuard {
  #inFlight = new Map<string, Promise<unknown>>();
  #done = new Set<string>();

  isBusy(key: string): boolean {
    return this.#inFlight.has(key);
  }

  isDone(key: string): boolean {
    return this.#done.has(key);
  }

  run<T>(key: string, action: () => Promise<T>): Promise<T> | null {
    if (this.#done.has(key)) return null;
    const pending = this.#inFlight.get(key);
    if (pending) return pending as Promise<T>;
    const p = (async () => {
      try {
        const result = await action();
        this.#done.add(key);
        return result;
      } finally {
        this.#inFlight.delete(key);
      }
    })();
    this.#inFlight.set(key, p);
    return p;
  }
}
