/** Where the login link's token is kept: this tab only, gone when it closes. */
export const TOKEN_KEY = 'tether.token';

/**
 * The login link carries the token in the URL fragment (`#token=…`), which the browser never
 * sends to the server. Keep it in sessionStorage and take it out of the address bar and history,
 * so it is not bookmarked, shared or shown. Any page can link here with a token of its choosing
 * (signing this tab in as someone else), so a link never replaces a different stored token unless
 * the user confirms it. Returns the getter asked before every connection and poll: a login link
 * opened in another tab is not seen here, but one opened in this tab (a reload) is.
 */
export function loginToken(
  confirmReplace: (message: string) => boolean = (message) => window.confirm(message),
): () => string | undefined {
  let memory: string | undefined;
  const params = new URLSearchParams(location.hash.slice(1));
  const fromLink = params.get('token');
  if (fromLink) {
    params.delete('token');
    const rest = params.toString();
    history.replaceState(
      history.state,
      '',
      `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`,
    );
  }
  const read = () => {
    try {
      return sessionStorage.getItem(TOKEN_KEY) ?? memory;
    } catch {
      return memory; // storage disabled: the token lives as long as this page
    }
  };
  const stored = read();
  const accepted =
    fromLink &&
    (stored === undefined ||
      stored === fromLink ||
      confirmReplace(
        'This link signs this dashboard in with another token. Replace the current sign-in? Choose Cancel unless you opened the link yourself.',
      ));
  if (accepted) {
    memory = fromLink;
    try {
      sessionStorage.setItem(TOKEN_KEY, fromLink);
    } catch {
      // kept in memory only
    }
  }
  return read;
}
