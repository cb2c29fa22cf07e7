import { useSlice } from '../storeContext.ts';

export function Toasts() {
  const store = useSlice('toasts');
  return (
    <div className="toasts" aria-live="polite" aria-relevant="additions text">
      {store.toasts.map((t) => (
        <div key={t.id} className={`toast ${t.level}`} role={t.level === 'error' ? 'alert' : 'status'}>
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
