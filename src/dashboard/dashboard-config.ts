import {
  DEFAULT_DASHBOARD_CONFIG,
  validateDashboardConfig,
  type DashboardConfig,
} from '../protocol/index.ts';

/** Where the server publishes the dashboard config (TETHER_DASHBOARD, or its built-in default). */
export const DASHBOARD_CONFIG_URL = '/dashboard.json';

export interface LoadedDashboardConfig {
  config: DashboardConfig;
  /** Why the built-in default is shown instead of the server's config; null when it is not. */
  warning: string | null;
}

type FetchJson = (
  url: string,
) => Promise<{ ok: boolean; status: number; json(): Promise<unknown> }>;

/**
 * Fetches and validates the dashboard config. The dashboard always starts: a server without a
 * config (404) gets the default silently; an unreachable server or an invalid config gets the
 * default with a warning to show.
 */
export async function loadDashboardConfig(
  fetchJson: FetchJson,
  url = DASHBOARD_CONFIG_URL,
): Promise<LoadedDashboardConfig> {
  const fallback = (why: string | null): LoadedDashboardConfig => ({
    config: DEFAULT_DASHBOARD_CONFIG,
    warning: why && `${why}; showing the default widgets.`,
  });
  let body: unknown;
  try {
    const response = await fetchJson(url);
    if (response.status === 404) return fallback(null);
    if (!response.ok) return fallback(`Could not load ${url} (HTTP ${response.status})`);
    body = await response.json();
  } catch (error) {
    return fallback(
      `Could not load ${url} (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  const checked = validateDashboardConfig(body);
  return checked.ok
    ? { config: checked.config, warning: null }
    : fallback(`${url} is not a valid dashboard config: ${checked.message}`);
}
