import { createContext, useCallback, useContext, useSyncExternalStore } from 'react';
import type { Slice, Store } from './store.ts';

export const StoreContext = createContext<Store | null>(null);

export function useStore(): Store {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useStore outside <StoreContext>');
  return store;
}

/** Re-renders the caller when the slice changes (at most once per frame) and returns the store. */
export function useSlice(slice: Slice): Store {
  const store = useStore();
  const subscribe = useCallback((cb: () => void) => store.subscribe(slice, cb), [store, slice]);
  useSyncExternalStore(subscribe, () => store.version(slice));
  return store;
}
