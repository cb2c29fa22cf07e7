import { Component, type ErrorInfo, type ReactNode } from 'react';
import { ErrorPanel } from './ErrorPanel.tsx';

interface State {
  error: Error | null;
}

/** A render error must not leave a blank window: say so, and offer the way back. */
export class ErrorBoundary extends Component<{ children: ReactNode }, State> {
  override state: State = { error: null };

  static getDerivedStateFromError(error: Error): State {
    return { error };
  }

  override componentDidCatch(error: Error, info: ErrorInfo): void {
    console.error('parley: the screen failed to render', error, info.componentStack);
  }

  override render() {
    if (!this.state.error) return this.props.children;
    return (
      <main className="center-screen">
        <ErrorPanel
          title="This screen failed"
          error={{
            code: 'internal',
            message: this.state.error.message.slice(0, 300) || 'The screen failed to render.',
            action: 'Reload the window (your RFQs and trades are kept by the client). If it happens again, report it to the service desk with the time.',
          }}
          onRetry={() => window.location.reload()}
        />
      </main>
    );
  }
}
