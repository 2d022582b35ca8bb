import { createSignal } from 'solid-js';
import { render } from 'solid-js/web';
import {
  createSharedTetherClient,
  createTetherClient,
  indexedDbOutboxStore,
} from './client/index.ts';
import { App } from './dashboard/App.tsx';
import { loadDashboardConfig } from './dashboard/dashboard-config.ts';
import { startInspector } from './dashboard/stately-inspector.ts';
import { TOKEN_KEY, loginToken } from './dashboard/login-token.ts';
import './dashboard/styles.css';

/** How long the server may hold a fallback poll open; the polling notice quotes it. */
const POLL_WAIT_MS = 20_000;
const SIGN_IN_HINT =
  'Open the login link printed by npm start (http://HOST:PORT/#token=…) in this browser, then Retry.';

/** Keeps a token the server renewed where loginToken reads, so a reload signs in with it. */
function keepToken(token: string): void {
  try {
    sessionStorage.setItem(TOKEN_KEY, token);
  } catch {
    // Storage disabled: the client still uses it until the page closes.
  }
}

/**
 * `?inspect` in the URL attaches the Stately inspector to the whole actor tree. It is loaded only
 * then, as its own chunk, so the everyday bundle does not carry it. When it cannot open, the page
 * says so (a toast) and points at the State panel.
 */
function inspector(unavailable: (message: string) => void) {
  if (!new URLSearchParams(location.search).has('inspect')) return Promise.resolve(undefined);
  return startInspector(
    {
      open: async () => (await import('@statelyai/inspect')).createBrowserInspector().inspect,
      window,
      online: () => navigator.onLine,
      setTimeout: (run, ms) => setTimeout(run, ms),
      clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    },
    unavailable,
  );
}

async function start() {
  const getToken = loginToken();
  const [notice, setNotice] = createSignal<string | null>(null);
  // Which widgets to show; fetched alongside the inspector, before the client connects.
  const [dashboard, inspect] = await Promise.all([
    loadDashboardConfig((url) => fetch(url, { cache: 'no-cache' })),
    inspector(setNotice),
  ]);
  if (dashboard.warning) console.warn(`Tether: ${dashboard.warning}`);
  // One connection for all of this origin's tabs (docs/cross-tab.md), except where the statechart
  // must run in this tab: for the inspector, and with `?share=off`.
  const params = new URLSearchParams(location.search);
  const local = params.has('inspect') || params.get('share') === 'off';
  // Edits made offline survive a reload or a closed tab, and go out when a tab is online again.
  const options = {
    url: location.origin,
    polling: { waitMs: POLL_WAIT_MS },
    getToken,
    outboxStore: indexedDbOutboxStore(),
  };
  const client = local
    ? createTetherClient({ ...options, inspect, onTokenRenewed: keepToken })
    : createSharedTetherClient({ ...options, onTokenRenewed: keepToken });
  // A handle for the console and for end-to-end tests: `tether.connection.get()`, and
  // `tether.actor.getSnapshot()` when the statechart runs in this tab.
  Object.assign(window, { tether: client });
  const root = document.getElementById('root');
  if (!root) throw new Error('index.html has no #root');
  const dispose = render(
    () => (
      <App
        client={client}
        pollWaitMs={POLL_WAIT_MS}
        dashboard={dashboard.config}
        configWarning={dashboard.warning}
        signInHint={SIGN_IN_HINT}
        notice={notice}
      />
    ),
    root,
  );
  // Dev server hot reload: leave no socket or timer of the old client behind.
  import.meta.hot?.dispose(() => {
    dispose();
    client.stop();
  });
}

void start();
