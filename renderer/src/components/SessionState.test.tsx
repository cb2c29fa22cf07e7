import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { renderApp } from '../testing/renderApp.tsx';

afterEach(cleanup);

const at = () => new Date().toISOString();

describe('one session state on every screen', () => {
  it('an IT kill reads as one red banner with the reason, who acted and the next step — no "nothing is lost"', async () => {
    const { control, container } = renderApp({ signedIn: true });
    await screen.findByRole('heading', { name: 'New RFQ' });
    // The core's notice about it arrives first, then the state: the notice is folded into the banner.
    control.emit('notification', { id: 'n-1', level: 'error', title: 'Session ended', message: 'session ended: IT: suspicious activity', topic: 'session', at: at() });
    control.setConnection('reconnecting', { retryInSec: 3, ended: { cause: 'ended-by-it', detail: 'suspicious activity', at: at() } });
    const banner = await waitFor(() => {
      const b = container.querySelector('.conn-banner');
      expect(b?.textContent).toMatch(/Session ended by IT/);
      return b as HTMLElement;
    });
    expect(banner.className).toMatch(/\bbad\b/);
    expect(banner.textContent).toMatch(/Reason given: “suspicious activity”/);
    expect(banner.textContent).toMatch(/Who acted: IT\./);
    expect(banner.textContent).toMatch(/What to do: Parley is signing in again \(reconnecting in [1-4] s\)/);
    expect(container.querySelectorAll('.conn-banner')).toHaveLength(1);
    expect(document.body.textContent).not.toMatch(/nothing is lost/);
    expect(document.body.textContent).not.toMatch(/session ended: IT/);
    expect(container.querySelectorAll('.toast')).toHaveLength(0);
  });

  it('a revocation shows Access denied / Who acted / What to do from the structured cause, not the gateway text', async () => {
    const { control } = renderApp({ signedIn: true, silentEnrollment: true });
    await screen.findByRole('heading', { name: 'New RFQ' });
    control.setConnection('enrollment-needed', {
      reason: 'session ended: certificate 16e3c0 revoked (laptop reported stolen) (authentication: software token (TOTP) +5)',
      ended: { cause: 'certificate-revoked', detail: 'laptop reported stolen', at: at() },
    });
    const heading = await screen.findByRole('heading', { name: 'Access denied' });
    const box = heading.closest('.denied') as HTMLElement;
    expect(box.textContent).toMatch(/IT revoked this device's certificate/);
    expect(box.textContent).toMatch(/Reason given: “laptop reported stolen”/);
    expect(box.textContent).toMatch(/Who acted: IT/);
    expect(box.textContent).toMatch(/What to do: Ask IT for a new enrollment token/);
    expect(document.body.textContent).not.toMatch(/16e3c0|TOTP/);
    expect(document.body.textContent).not.toMatch(/managed configuration has an enrollment token/);
    expect(screen.getByLabelText('Enrollment token')).toBeTruthy();
  });

  it('deduplicates the core\'s notices and clears them once signed back in', async () => {
    const { control, container } = renderApp({ signedIn: true });
    await screen.findByRole('heading', { name: 'New RFQ' });
    const n = { level: 'warning' as const, title: 'Session downgraded', message: 'trading is paused until the device passes its posture check', at: at() };
    control.emit('notification', { ...n, id: 'n-1' });
    control.emit('notification', { ...n, id: 'n-2' });
    control.emit('notification', { id: 'n-3', level: 'error', title: 'Request denied', message: 'the access policy denied the request', at: at() });
    await waitFor(() => expect(container.querySelectorAll('.toast')).toHaveLength(2));
    control.setConnection('denied', { ended: { cause: 'policy-denied', detail: 'outside trading hours', at: at() } });
    const heading = await screen.findByRole('heading', { name: 'Access denied' });
    expect(heading.closest('.denied')?.textContent).toMatch(/Who acted: Access policy/);
    // Signing back in: the old notices are stale and go.
    fireEvent.change(screen.getByLabelText('Username'), { target: { value: 'alice' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'pw' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    await screen.findByRole('heading', { name: 'New RFQ' });
    await waitFor(() => expect(container.querySelectorAll('.toast')).toHaveLength(0));
  });

  it('never tells a risk officer that trading is paused', async () => {
    const { control, container } = renderApp({ signedIn: true, role: 'risk-officer' });
    await screen.findByRole('heading', { name: /Open RFQs/ });
    control.setConnection('challenged');
    await waitFor(() => expect(container.querySelector('.conn-banner')?.textContent).toMatch(/step-up/));
    expect(container.querySelector('.conn-banner')?.textContent).not.toMatch(/Trading is paused/);
    control.setConnection('reconnecting', { retryInSec: 4 });
    await waitFor(() => expect(container.querySelector('.conn-banner')?.textContent).toMatch(/reconnecting/));
    expect(container.querySelector('.conn-banner')?.textContent).not.toMatch(/trades/);
  });
});

describe('step-up after a wrong code', () => {
  it('puts the focus back in the code field and shows the refusal as an error', async () => {
    renderApp({ stepUpOnSignIn: ['totp'] });
    await screen.findByRole('heading', { name: 'Sign in to Parley' });
    fireEvent.change(screen.getByLabelText('Username'), { target: { value: 'alice' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'pw' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    const dialog = await screen.findByRole('alertdialog');
    const field = within(dialog).getByLabelText('Code from your authenticator app') as HTMLInputElement;
    fireEvent.change(field, { target: { value: '000000' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Verify' }));
    const error = await within(dialog).findByRole('alert');
    expect(error.className).toMatch(/field-error/);
    expect(error.textContent).toMatch(/not accepted/);
    expect(field.getAttribute('aria-invalid')).toBe('true');
    await waitFor(() => expect(document.activeElement).toBe(field));
  });
});

describe('security panel', () => {
  it('says when the gateway allowed a session although device checks fail (a relaxed policy)', async () => {
    const { control } = renderApp({ signedIn: true });
    await screen.findByRole('heading', { name: 'New RFQ' });
    fireEvent.keyDown(window, { key: 'F2', code: 'F2' });
    const panel = await screen.findByRole('dialog', { name: 'Security' });
    await within(panel).findByText(/TLSv1.3/);
    // The fake's decision is step-up: no claim of a relaxed policy.
    expect(within(panel).queryByTestId('policy-relaxed')).toBeNull();
    const s = await (await import('../testing/fakeParley.ts')).fakeSecurity('connected');
    control.emit('security', { ...s, risk: { ...s.risk!, decision: 'allow' } });
    expect((await within(panel).findByTestId('policy-relaxed')).textContent).toMatch(/allowed this session although 1 device check fails/);
    expect(within(panel).getByTestId('cert-days').className).toBe('muted');
  });
});
