import { createContext, useCallback, useContext, useRef, useSyncExternalStore } from 'react';
import type { Slice, Store } from './store.ts';

export const StoreContext = createContext<Store | null>(null);

export function useStore(): Store {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useStore outside <StoreContext>');
  return store;
}

/**
 * Re-renders the caller when the slice changes (at most once per frame, or once per `minIntervalMs` for
 * views a person reads rather than tracks, such as a board of quote cards under a stream of requotes)
 * and returns the store.
 */
export function useSlice(slice: Slice, minIntervalMs = 0): Store {
  const store = useStore();
  const seen = useRef(store.version(slice));
  const subscribe = useCallback(
    (cb: () => void) => {
      if (minIntervalMs <= 0) return store.subscribe(slice, cb);
      let last = 0;
      let timer: ReturnType<typeof setTimeout> | null = null;
      const fire = () => {
        timer = null;
        last = Date.now();
        seen.current = store.version(slice);
        cb();
      };
      const off = store.subscribe(slice, () => {
        if (timer) return;
        const wait = last + minIntervalMs - Date.now();
        if (wait <= 0) fire();
        else timer = setTimeout(fire, wait);
      });
      return () => {
        off();
        if (timer) clearTimeout(timer);
      };
    },
    [store, slice, minIntervalMs],
  );
  useSyncExternalStore(subscribe, () => (minIntervalMs <= 0 ? store.version(slice) : seen.current));
  return store;
}
