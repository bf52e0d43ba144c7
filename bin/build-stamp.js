// Whether dist/ (tsc's output, `npm run build`) was built from the sources as they are now. bin/tshub.js
// runs dist/ only then, since running the TypeScript sources costs ~20 MB more memory (type stripping)
// but is always correct; a stale build must never run. Plain JavaScript with no dependencies, because it
// decides what to load before any TypeScript can run.
//
// Run as a script, it wraps the compiler: `node bin/build-stamp.js tsc -p tsconfig.build.json`.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const STAMP = join('dist', 'build-stamp.json');

// What tsconfig.build.json compiles: everything under src/ but tests and their helpers.
const COMPILED = /\.[cm]?ts$/;
const NOT_COMPILED = /(\.test\.[cm]?ts|(^|\/)test-helpers\.ts)$/;

/** The files a build is made from, relative to `root` and sorted. */
export function sourceFiles(root) {
  const sources = [];
  // A walk by hand: readdirSync's `recursive` option takes several times as long.
  const walk = (dir) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const name = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(name);
      else if (COMPILED.test(name) && !NOT_COMPILED.test(name)) sources.push(name);
    }
  };
  walk('src');
  return ['tsconfig.json', 'tsconfig.build.json', ...sources.sort()];
}

/**
 * A hash of each source file's path, size and modification time: reading metadata only keeps this to a
 * few milliseconds at every start, and any edit, checkout, added or deleted file changes it.
 */
export function sourceFingerprint(root) {
  let list = '';
  for (const name of sourceFiles(root)) {
    const st = statSync(join(root, name));
    list += `${name}\0${st.size}\0${st.mtimeMs}\n`;
  }
  return createHash('sha256').update(list).digest('hex');
}

/** True when dist/ holds a complete build of the current sources. */
export function buildIsFresh(root = ROOT) {
  try {
    return JSON.parse(readFileSync(join(root, STAMP), 'utf8'))?.sources === sourceFingerprint(root);
  } catch {
    return false; // never built, a build that did not finish, or a source file deleted as we looked
  }
}

/**
 * Builds with `command` and stamps the result. The fingerprint is taken before compiling: were it taken
 * after, a file saved while the compiler ran would be stamped as built though the compiler read its old
 * text. dist/ is emptied first, so no stamp claims a half-written build and no deleted module lingers.
 */
async function build(root, command) {
  const { spawnSync } = await import('node:child_process'); // not loaded by every start of tshub
  const before = sourceFingerprint(root);
  rmSync(join(root, 'dist'), { recursive: true, force: true });
  const run = spawnSync(command[0], command.slice(1), { cwd: root, stdio: 'inherit' });
  if (run.error) throw run.error;
  if (run.status !== 0) return run.status ?? 1;
  if (sourceFingerprint(root) !== before) {
    process.stderr.write('build-stamp: sources changed during the build, so it is not stamped; build again\n');
    return 1;
  }
  writeFileSync(join(root, STAMP), `${JSON.stringify({ sources: before })}\n`);
  return 0;
}

// argv[1] is the path as typed; the module's URL has symlinks resolved.
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const command = process.argv.slice(2);
  if (command.length === 0) {
    process.stderr.write('usage: node bin/build-stamp.js COMMAND [ARG...]\n');
    process.exit(2);
  }
  process.exit(await build(ROOT, command));
}
