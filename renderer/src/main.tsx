import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { findApi } from './api.ts';
import { ErrorBoundary } from './components/ErrorBoundary.tsx';
import './styles/theme.css';
import './styles/app.css';

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <ErrorBoundary>
        <App api={findApi()} />
      </ErrorBoundary>
    </StrictMode>,
  );
}
