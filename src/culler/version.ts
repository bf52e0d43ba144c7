/**
 * Whether a hub's reported version is at least `min`, comparing the leading numeric parts
 * ("5.3.0", "1.3.0b1", "2.0.0.dev0"); a version with no number at all is taken as too old.
 */
export function versionAtLeast(version: unknown, min: string): boolean {
  if (typeof version !== 'string') return false;
  const have = numericParts(version);
  if (have.length === 0) return false;
  const want = numericParts(min);
  for (let i = 0; i < Math.max(have.length, want.length); i++) {
    const a = have[i] ?? 0;
    const b = want[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}

function numericParts(v: string): number[] {
  const m = /^\s*v?(\d+(?:\.\d+)*)/.exec(v);
  return m ? m[1]!.split('.').map(Number) : [];
}
