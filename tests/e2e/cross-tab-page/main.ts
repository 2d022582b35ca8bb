/**
 * The page the cross-tab and page-lifecycle end-to-end tests open: a Tether client (shared across
 * tabs, or local with `?mode=local`) holding the `ticks` topic, with everything it saw recorded on
 * `window.probe` for the test to read.
 */
import { createTetherClient } from '../../../src/client/create-client.ts';
import { createSharedTetherClient } from '../../../src/client/shared/share.ts';
import type { ConnectionView } from '../../../src/client/view-types.ts';

const params = new URLSearchParams(location.search);
const number = (name: string) => (params.has(name) ? Number(params.get(name)) : undefined);
const options = {
  url: location.origin,
  heartbeatMs: number('heartbeatMs'),
  heartbeatTimeoutMs: number('heartbeatTimeoutMs'),
  checkTimeoutMs: number('checkTimeoutMs'),
  backoff: { baseMs: 200, capMs: 1_000 },
};
const client =
  params.get('mode') === 'local' ? createTetherClient(options) : createSharedTetherClient(options);
const ticks = client.subscribe('ticks');

const probe = {
  client,
  /** Every connection view this tab saw, in order, with when (ms since the epoch). */
  connection: [] as (Pick<ConnectionView, 'status' | 'attempt' | 'statePath'> & { at: number })[],
  /** The `ticks` data as last seen, and every status the subscription went through. */
  ticks: () => ticks.view.get(),
  tickStatuses: [] as string[],
};
client.connection.subscribe(() => {
  const { status, attempt, statePath } = client.connection.get();
  probe.connection.push({ status, attempt, statePath, at: Date.now() });
  document.getElementById('status')!.textContent = status;
});
ticks.view.subscribe(() => {
  const { status } = ticks.view.get();
  if (probe.tickStatuses.at(-1) !== status) probe.tickStatuses.push(status);
});
Object.assign(window, { probe });
