/**
 * Tokens sealed for the leader tab. In the leader fallback the tabs reach the hub over a
 * BroadcastChannel, which every page of the origin can listen to, so a tab never posts its token
 * there in the clear: the leader sends a fresh ECDH public key with each `token?`, and the tab
 * answers with the token encrypted (AES-GCM) under a key only the two of them can derive. A page
 * that merely listens learns nothing; one that answers or asks in the leader's place could do so
 * with any hub message too, so the origin stays the trust boundary for active attackers.
 */

const ECDH = { name: 'ECDH', namedCurve: 'P-256' } as const;

export interface Sealed {
  key: JsonWebKey;
  iv: Uint8Array<ArrayBuffer>;
  data: ArrayBuffer;
}

/** WebCrypto is only there in secure contexts (https, localhost): without it tokens are not sent. */
export const canSeal = (): boolean => typeof globalThis.crypto?.subtle?.deriveKey === 'function';

export async function newOpeningKey(): Promise<{ publicKey: JsonWebKey; privateKey: CryptoKey }> {
  const pair = await crypto.subtle.generateKey(ECDH, true, ['deriveKey']);
  return {
    publicKey: await crypto.subtle.exportKey('jwk', pair.publicKey),
    privateKey: pair.privateKey,
  };
}

const sharedKey = (privateKey: CryptoKey, publicKey: CryptoKey, usage: KeyUsage) =>
  crypto.subtle.deriveKey(
    { name: 'ECDH', public: publicKey },
    privateKey,
    { name: 'AES-GCM', length: 256 },
    false,
    [usage],
  );

export async function seal(token: string, leaderKey: JsonWebKey): Promise<Sealed> {
  const mine = await crypto.subtle.generateKey(ECDH, true, ['deriveKey']);
  const theirs = await crypto.subtle.importKey('jwk', leaderKey, ECDH, false, []);
  const key = await sharedKey(mine.privateKey, theirs, 'encrypt');
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv },
    key,
    new TextEncoder().encode(token),
  );
  return { key: await crypto.subtle.exportKey('jwk', mine.publicKey), iv, data };
}

/** The token, or undefined when the box was not sealed for this key (or was tampered with). */
export async function open(sealed: Sealed, privateKey: CryptoKey): Promise<string | undefined> {
  try {
    const theirs = await crypto.subtle.importKey('jwk', sealed.key, ECDH, false, []);
    const key = await sharedKey(privateKey, theirs, 'decrypt');
    const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: sealed.iv }, key, sealed.data);
    return new TextDecoder().decode(plain);
  } catch {
    return undefined;
  }
}
