import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render, screen } from '@testing-library/react';
import { ConnectionBanner, connectionLabel } from './ConnectionStatus.tsx';

afterEach(cleanup);

describe('connection banner', () => {
  const at = new Date().toISOString();

  it('reads as one sentence while a reconnect attempt is under way (no "….")', () => {
    render(<ConnectionBanner connection={{ state: 'reconnecting', at }} />);
    const text = screen.getByRole('status').textContent ?? '';
    expect(text).toMatch(/^Connection lost — reconnecting\. Quotes and trades resume/);
    expect(text).not.toMatch(/…\./);
  });

  it('counts down to the next attempt', () => {
    render(<ConnectionBanner connection={{ state: 'reconnecting', at, retryInSec: 8 }} />);
    expect(screen.getByRole('status').textContent).toMatch(/^Connection lost — reconnecting in [78] s\./);
    expect(connectionLabel({ state: 'reconnecting', at }, Date.now())).toBe('reconnecting…');
  });

  it('is absent while connected', () => {
    render(<ConnectionBanner connection={{ state: 'connected', at }} />);
    expect(screen.queryByRole('status')).toBeNull();
  });
});
