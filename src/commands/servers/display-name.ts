import { invalidDisplayName } from '../../errors/index.ts';

// Letters, marks, numbers, punctuation and symbols; of the separators only the plain space (checked apart).
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

/**
 * A server's display name as JupyterHub 6 accepts it: NFC-normalised, 1–255 characters of printable text
 * with single inner spaces (no leading, trailing or doubled space). Returns the normalised name.
 */
export function admitDisplayName(name: string): string {
  const normal = name.normalize('NFC');
  const chars = [...normal];
  const ok =
    chars.length >= 1 &&
    chars.length <= 255 &&
    !normal.startsWith(' ') &&
    !normal.endsWith(' ') &&
    !normal.includes('  ') &&
    chars.every((c) => c === ' ' || PRINTABLE.test(c));
  if (!ok) throw invalidDisplayName(normal);
  return normal;
}
