/** What a tab tells the shared hub about its page; the hub's own client has no page. */
export interface TabPageHandlers {
  /** Visible again, or online again: the link should be checked now. */
  check(): void;
  /** pagehide: unloading or entering the back/forward cache. */
  hide(): void;
  /** pageshow from the back/forward cache. */
  show(): void;
}

export interface TabPage {
  /** Starts listening; returns the function that stops. */
  listen(handlers: TabPageHandlers): () => void;
}

/** The subset of `navigator.locks` used to tell the hub when a tab is gone, crash included. */
export interface TabLocks {
  request(name: string, callback: () => Promise<unknown>): Promise<unknown>;
}

/** The lock a tab holds for its whole life; the hub's request for it is granted when the tab dies. */
export const tabLockName = (tab: string) => `tether.tab.${tab}`;

/**
 * Takes the tab's lock and calls `held` once it is granted (so the hub, asking after `attach`,
 * always queues behind it); returns the release.
 */
export function holdTabLock(locks: TabLocks, tab: string, held: () => void): () => void {
  let release = () => {};
  const life = new Promise<void>((resolve) => (release = resolve));
  void locks
    .request(tabLockName(tab), () => {
      held();
      return life;
    })
    .catch(() => held());
  return () => release();
}

/** The hub's side: `gone` runs when the tab's lock is released (the tab closed, crashed or detached). */
export function watchTabLock(locks: TabLocks, tab: string, gone: () => void): void {
  void locks
    .request(tabLockName(tab), () => {
      gone();
      return Promise.resolve();
    })
    .catch(() => undefined);
}

/**
 * `page` plus a way to make the tab client attach again on a new port (a pagehide/pageshow pair
 * of its own): for a new leader, or a hub that moved into this tab.
 */
export function reattachablePage(page: TabPage | null): { page: TabPage; reattach(): void } {
  let reattach = () => {};
  return {
    page: {
      listen(handlers) {
        reattach = () => {
          handlers.hide();
          handlers.show();
        };
        const stop = page?.listen(handlers);
        return () => {
          reattach = () => {};
          stop?.();
        };
      },
    },
    reattach: () => reattach(),
  };
}

/** `window`/`document` in a browser tab; null elsewhere. */
export function browserTabPage(): TabPage | null {
  if (typeof window === 'undefined' || typeof document === 'undefined') return null;
  return {
    listen({ check, hide, show }) {
      const onVisibility = () => {
        if (document.visibilityState === 'visible') check();
      };
      const onShow = (event: PageTransitionEvent) => {
        if (event.persisted) show();
      };
      document.addEventListener('visibilitychange', onVisibility);
      window.addEventListener('online', check);
      window.addEventListener('pagehide', hide);
      window.addEventListener('pageshow', onShow);
      return () => {
        document.removeEventListener('visibilitychange', onVisibility);
        window.removeEventListener('online', check);
        window.removeEventListener('pagehide', hide);
        window.removeEventListener('pageshow', onShow);
      };
    },
  };
}
