import { lstat, opendir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { findTokens } from '../format.ts';
import { notebookTokens } from './notebook.ts';

/** A well-formed token found in a file (not yet known to be live): for a notebook, also where in it. */
export interface Finding {
  file: string;
  cell: number | null;
  output: number | null;
  attachment: string | null;
  token: string;
}

/** Files seen by an earlier scan, by path: size and modification time, so an unchanged file is not read again. */
export type FileStamps = Map<string, string>;

// Larger files are data (archives of notebooks are scanned as the notebooks they unpack to, not as zips).
const MAX_BYTES = 64 * 1024 * 1024;

export interface WalkResult {
  findings: Finding[];
  files: number;
  /** Paths that could not be read, with why (permission, vanished meanwhile). */
  errors: { path: string; error: string }[];
}

function findingsIn(file: string, data: Buffer): Finding[] {
  if (file.endsWith('.ipynb')) {
    const spots = notebookTokens(data.toString('utf8'));
    if (spots) return spots.map((s) => ({ file, ...s }));
  }
  // Binary files too (IPython's history is an SQLite file that keeps what was typed): tokens are ASCII, and
  // latin1 maps every byte to one character, so they are found wherever they sit.
  return findTokens(data.toString('latin1')).map((token) => ({
    file,
    cell: null,
    output: null,
    attachment: null,
    token,
  }));
}

/**
 * Reads every regular file under `roots` (a root may be a file) for tokens of this hub. Symbolic links are not
 * followed: a home directory may link anywhere, including to another's. With `stamps`, files unchanged since
 * the last walk are skipped (their tokens were dealt with then) and the stamps are brought up to date.
 */
export async function walkForTokens(roots: readonly string[], stamps: FileStamps | null = null): Promise<WalkResult> {
  const result: WalkResult = { findings: [], files: 0, errors: [] };
  const seen = new Set<string>();
  const visit = async (path: string): Promise<void> => {
    try {
      const st = await lstat(path);
      if (st.isDirectory()) {
        for await (const entry of await opendir(path)) await visit(join(path, entry.name));
        return;
      }
      if (!st.isFile() || st.size > MAX_BYTES) return;
      seen.add(path);
      const stamp = `${st.size}:${st.mtimeMs}`;
      if (stamps?.get(path) === stamp) return;
      result.files++;
      result.findings.push(...findingsIn(path, await readFile(path)));
      stamps?.set(path, stamp);
    } catch (err) {
      result.errors.push({ path, error: (err as NodeJS.ErrnoException).code ?? (err as Error).message });
    }
  };
  for (const root of roots) await visit(root);
  if (stamps) for (const path of stamps.keys()) if (!seen.has(path)) stamps.delete(path);
  return result;
}
