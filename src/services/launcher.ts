import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The CLI entry of this very installation, whatever way the hub itself was started. */
const ENTRY = fileURLToPath(new URL('../../bin/tshub.js', import.meta.url));

function shQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

export interface TshubLauncher {
  /** A directory holding only an executable `tshub`: put it first on a child's PATH. */
  dir: string;
  remove(): void;
}

/**
 * DESIGN.md's promise that `command: [tshub, cull]` works however tshub was installed: npx, a git
 * checkout or `node bin/tshub.js` leave no `tshub` on the PATH, so the hub writes a small launcher
 * that runs this installation's entry with the hub's own Node (Node 24, which the TS sources need).
 * It lives in a fresh temporary directory that any user can read, because a service may run as
 * another system user who cannot enter the hub's state directory.
 */
export function createTshubLauncher(): TshubLauncher {
  const dir = mkdtempSync(join(tmpdir(), 'tshub-bin-'));
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'tshub'), `#!/bin/sh\nexec ${shQuote(process.execPath)} ${shQuote(ENTRY)} "$@"\n`, {
    mode: 0o755,
  });
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
