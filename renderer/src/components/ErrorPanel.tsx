import type { Explained } from '../lib/errors.ts';

/** An error as a person wants it: what happened, and what to do about it. */
export function ErrorPanel({ title, error, onRetry }: { title: string; error: Explained; onRetry?: () => void }) {
  return (
    <section className="error-panel" role="alert" aria-labelledby="error-title">
      <h2 id="error-title">{title}</h2>
      <p className="error-message">{error.message}</p>
      <p className="error-action"><strong>What to do: </strong>{error.action}</p>
      {onRetry && <button type="button" className="btn" onClick={onRetry}>Try again</button>}
      <p className="error-code muted">code: {error.code}</p>
    </section>
  );
}

export function InlineError({ error }: { error: Explained | null }) {
  if (!error) return null;
  return (
    <div className="inline-error" role="alert">
      <div>{error.message}</div>
      <div className="error-action"><strong>What to do: </strong>{error.action}</div>
    </div>
  );
}
