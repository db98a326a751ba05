/** Keys longer than this are refused without asking Kinde (its keys are far shorter). */
export const MAX_KEY_LENGTH = 512;

// Printable ASCII without the space: what an API key can be. A plain character class, so testing
// it is linear in the key's length.
const KEY = /^[\x21-\x7e]+$/;

/** Whether `key` is a syntactically possible API key: 1 to 512 printable ASCII characters, no spaces. */
export function isWellFormedKey(key: string): boolean {
  return key.length > 0 && key.length <= MAX_KEY_LENGTH && KEY.test(key);
}
