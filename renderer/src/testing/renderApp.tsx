import { render } from '@testing-library/react';
import { App } from '../App.tsx';
import { createFakeParley, type FakeOptions } from './fakeParley.ts';

/** Renders the whole app against the test-only fake client core. */
export function renderApp(options: FakeOptions = {}) {
  const fake = createFakeParley(options);
  const view = render(<App api={fake.api} />);
  return { ...view, ...fake };
}
