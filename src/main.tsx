import { render } from 'solid-js/web';
import { createTetherClient, type TetherClientOptions } from './client/index.ts';
import { App } from './dashboard/App.tsx';
import { loadDashboardConfig } from './dashboard/dashboard-config.ts';
import './dashboard/styles.css';

/** How long the server may hold a fallback poll open; the polling notice quotes it. */
const POLL_WAIT_MS = 20_000;

/**
 * `?inspect` in the URL attaches the Stately inspector to the whole actor tree. It is loaded only
 * then, as its own chunk, so the everyday bundle does not carry it.
 */
async function inspector(): Promise<TetherClientOptions['inspect']> {
  if (!new URLSearchParams(location.search).has('inspect')) return undefined;
  try {
    const { createBrowserInspector } = await import('@statelyai/inspect');
    return createBrowserInspector().inspect;
  } catch (error) {
    // A dashboard without the inspector beats no dashboard.
    console.warn('Tether: could not start the Stately inspector', error);
    return undefined;
  }
}

async function start() {
  // Which widgets to show; fetched alongside the inspector, before the client connects.
  const [dashboard, inspect] = await Promise.all([loadDashboardConfig((url) => fetch(url, { cache: 'no-cache' })), inspector()]);
  if (dashboard.warning) console.warn(`Tether: ${dashboard.warning}`);
  const client = createTetherClient({ url: location.origin, polling: { waitMs: POLL_WAIT_MS }, inspect });
  // A handle for the console and for end-to-end tests: `tether.actor.getSnapshot()`.
  Object.assign(window, { tether: client });
  const root = document.getElementById('root');
  if (!root) throw new Error('index.html has no #root');
  const dispose = render(() => <App client={client} pollWaitMs={POLL_WAIT_MS} dashboard={dashboard.config} configWarning={dashboard.warning} />, root);
  // Dev server hot reload: leave no socket or timer of the old client behind.
  import.meta.hot?.dispose(() => {
    dispose();
    client.stop();
  });
}

void start();
