import { afterEach, describe, expect, it, vi } from 'vitest';
import { TOKEN_KEY, loginToken } from '../../src/dashboard/login-token.ts';

// The login link (`/#token=…`) signs a tab in, but any page can link here with a token of its
// choosing: a link never replaces a different stored token without the user's confirmation.

afterEach(() => {
  sessionStorage.clear();
  history.replaceState(null, '', '/');
});

const openLink = (hash: string) => history.replaceState(null, '', `/dash?x=1#${hash}`);

describe('loginToken', () => {
  it('takes the token from the link when none is stored, and removes it from the address bar', () => {
    openLink('token=mine&panel=cpu');
    const confirm = vi.fn(() => true);
    const getToken = loginToken(confirm);
    expect(getToken()).toBe('mine');
    expect(sessionStorage.getItem(TOKEN_KEY)).toBe('mine');
    expect(location.href).toMatch(/\/dash\?x=1#panel=cpu$/);
    expect(confirm).not.toHaveBeenCalled();
  });

  it('keeps the stored token when the user does not confirm a link with another one', () => {
    sessionStorage.setItem(TOKEN_KEY, 'mine');
    openLink('token=attacker');
    const confirm = vi.fn(() => false);
    const getToken = loginToken(confirm);
    expect(confirm).toHaveBeenCalledOnce();
    expect(getToken()).toBe('mine');
    expect(location.hash).toBe('');
  });

  it('replaces the stored token when the user confirms, and does not ask for the same token', () => {
    sessionStorage.setItem(TOKEN_KEY, 'old');
    openLink('token=new');
    expect(loginToken(() => true)()).toBe('new');
    openLink('token=new');
    const confirm = vi.fn(() => false);
    expect(loginToken(confirm)()).toBe('new');
    expect(confirm).not.toHaveBeenCalled();
  });
});
