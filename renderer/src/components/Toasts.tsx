import { useSlice } from '../storeContext.ts';

export function Toasts() {
  const store = useSlice('toasts');
  return (
    <div className="toasts">
      {store.toasts.map((t) => (
        // The quote toast is rewritten on every requote: announcing each would drown a screen reader.
        <div key={t.id} className={`toast ${t.level}`} role={t.level === 'error' ? 'alert' : 'status'} aria-live={t.id.startsWith('quotes:') ? 'off' : undefined}>
          <div className="toast-body">
            <strong>{t.title}</strong>
            <span>{t.message}</span>
          </div>
          <button type="button" className="toast-close" aria-label="Dismiss" onClick={() => store.dismissToast(t.id)}>×</button>
        </div>
      ))}
    </div>
  );
}
