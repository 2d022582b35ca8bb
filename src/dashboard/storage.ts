/** Merely reading `localStorage` throws where storage is blocked (sandboxed frames, some private modes). */
export function browserStorage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}
