/** What component tests do as a trader would: type into a labelled field, send an RFQ from the ticket; jsdom's missing layout. */
import { fireEvent, screen, waitFor } from '@testing-library/react';
import { expect } from 'vitest';

export function typeInto(label: string | RegExp, value: string): void {
  fireEvent.change(screen.getByLabelText(label), { target: { value } });
}

/** A buy RFQ from the ticket, once the fake core's four dealers are listed. */
export async function sendRfq(quantity = '5m', instrument = 'DE0001102614'): Promise<void> {
  await screen.findByRole('heading', { name: 'New RFQ' });
  await waitFor(() => expect(screen.getByText(/All \(4\)/)).toBeTruthy());
  typeInto('Instrument', instrument);
  fireEvent.click(screen.getByLabelText('Buy'));
  typeInto('Quantity', quantity);
  fireEvent.click(screen.getByRole('button', { name: /Send RFQ/ }));
}

/**
 * jsdom has no layout: gives scroll containers a size so the virtualized tables have a window to fill.
 * Returns the undo, to run when the test ends.
 */
export function fakeLayout(width: number, height = 400): () => void {
  Object.defineProperty(HTMLElement.prototype, 'clientHeight', { configurable: true, get() { return height; } });
  Object.defineProperty(HTMLElement.prototype, 'clientWidth', { configurable: true, get() { return width; } });
  return () => {
    delete (HTMLElement.prototype as { clientHeight?: number }).clientHeight;
    delete (HTMLElement.prototype as { clientWidth?: number }).clientWidth;
  };
}
