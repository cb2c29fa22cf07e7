import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { renderApp } from '../testing/renderApp.tsx';

// jsdom has no authenticator: the browser library is replaced here only; the real one runs in the e2e test.
const startRegistration = vi.fn();
vi.mock('@simplewebauthn/browser', async (orig) => ({ ...(await orig<object>()), startRegistration: (...a: unknown[]) => startRegistration(...a) }));

afterEach(cleanup);
beforeEach(() => startRegistration.mockReset());

const made = {
  id: 'Y3JlZA', rawId: 'Y3JlZA', type: 'public-key', clientExtensionResults: { credProps: { rk: false } }, authenticatorAttachment: 'cross-platform',
  response: { clientDataJSON: 'e30', attestationObject: 'o2Nm', transports: ['usb'], publicKeyAlgorithm: -7 },
};

async function openPanel() {
  await screen.findByRole('heading', { name: 'New RFQ' });
  fireEvent.keyDown(window, { key: 'F2', code: 'F2' });
  return within(await screen.findByRole('dialog', { name: 'Security' }));
}

describe('registering a security key from the security panel', () => {
  it('asks the gateway, has the key touched, sends only the contract fields, and says it is registered', async () => {
    startRegistration.mockResolvedValue(made);
    const { control } = renderApp({ signedIn: true });
    const p = await openPanel();
    fireEvent.click(p.getByRole('button', { name: 'Register a security key' }));
    await waitFor(() => expect(p.getByTestId('key-reg-status').textContent).toMatch(/Security key registered/));
    expect(startRegistration).toHaveBeenCalledWith({ optionsJSON: expect.objectContaining({ challenge: 'ZmFrZS1jaGFsbGVuZ2U' }) });
    const finish = control.calls.filter((c) => c.name === 'registerSecurityKey')[1]?.request as { stage: string; registrationId: string; credential: unknown };
    expect(finish).toEqual({ stage: 'finish', registrationId: 'KR-1', credential: made });
  });

  it('says what to do when the key is cancelled or already registered, and nothing is sent', async () => {
    startRegistration.mockRejectedValueOnce(Object.assign(new Error('The operation either timed out or was not allowed.'), { name: 'NotAllowedError' }));
    const { control } = renderApp({ signedIn: true });
    const p = await openPanel();
    fireEvent.click(p.getByRole('button', { name: 'Register a security key' }));
    await waitFor(() => expect(p.getByTestId('key-reg-status').textContent).toMatch(/cancelled or timed out\. Nothing was registered/));
    startRegistration.mockRejectedValueOnce(Object.assign(new Error('previously registered'), { name: 'InvalidStateError', code: 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED' }));
    fireEvent.click(p.getByRole('button', { name: 'Register a security key' }));
    await waitFor(() => expect(p.getByTestId('key-reg-status').textContent).toMatch(/already registered for you/));
    expect(control.calls.filter((c) => c.name === 'registerSecurityKey').every((c) => (c.request as { stage: string }).stage === 'begin')).toBe(true);
  });

  it('shows the gateway\'s refusal with its reason, and a failed call as an error that says what to do', async () => {
    renderApp({ signedIn: true, keyRegistrationRefusal: 'security key not registered: step-up challenge expired' });
    const p = await openPanel();
    fireEvent.click(p.getByRole('button', { name: 'Register a security key' }));
    await waitFor(() => expect(p.getByTestId('key-reg-status').textContent).toMatch(/Not registered: security key not registered: step-up challenge expired/));
    expect(startRegistration).not.toHaveBeenCalled();
    cleanup();
    renderApp({ signedIn: true, failCalls: { registerSecurityKey: { code: 'timeout', message: 'the gateway did not answer the key registration' } } });
    const q = await openPanel();
    fireEvent.click(q.getByRole('button', { name: 'Register a security key' }));
    expect(await q.findByText(/the gateway did not answer the key registration/)).toBeTruthy();
    expect(q.getByRole('button', { name: 'Register a security key' })).toBeTruthy();
  });

  it('is offered only while connected', async () => {
    const { control } = renderApp({ signedIn: true });
    const p = await openPanel();
    expect(p.getByRole('button', { name: 'Register a security key' })).toBeTruthy();
    control.setConnection('reconnecting', { retryInSec: 5 });
    await waitFor(() => expect(p.queryByRole('button', { name: 'Register a security key' })).toBeNull());
    expect(p.getByText('Sign in to register a security key.')).toBeTruthy();
  });
});
