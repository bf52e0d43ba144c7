/** JupyterHub's default authenticator lowercases names; `username_pattern`, if set, must match after that. */
export function normalizeUsername(name: string): string {
  return name.toLowerCase();
}

const MAX_LENGTH = 255;
// Control characters would corrupt logs and headers; '/' would break /user/<name>/ URLs (upstream forbids it too).
const FORBIDDEN = /[\u0000-\u001f\u007f/]/;

export function validateUsername(name: string, pattern: RegExp | null): boolean {
  if (name.length === 0 || name.length > MAX_LENGTH) return false;
  if (name.trim() !== name) return false;
  if (FORBIDDEN.test(name)) return false;
  return pattern === null || pattern.test(name);
}
