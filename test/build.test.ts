import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'node_modules', '.bin');

interface BuildStamp {
  sourceFiles(root: string): string[];
  buildIsFresh(root: string): boolean;
}
const stampOf = async (root: string) =>
  (await import(pathToFileURL(join(root, 'bin', 'build-stamp.js')).href)) as BuildStamp;

// Preloaded into `tshub`: reports which main module the entry point loaded.
const PROBE = `data:text/javascript,${encodeURIComponent(`
import { registerHooks } from 'node:module';
let main = 'none';
registerHooks({ resolve(specifier, context, next) {
  const r = next(specifier, context);
  if (/\\/(src|dist)\\/main\\.[jt]s$/.test(r.url)) main = r.url;
  return r;
} });
process.on('exit', () => process.stderr.write('main=' + main + '\\n'));
`)}`;

function copyProject(to: string, parts: string[]): void {
  for (const p of parts) cpSync(join(ROOT, p), join(to, p), { recursive: true });
}

function build(root: string, command: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'build-stamp.js'), ...command], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, PATH: `${BIN}:${process.env.PATH}` },
  });
  return { status: r.status, stderr: r.stderr };
}

describe('compiled build (dist/) and its stamp', () => {
  let copy: string;

  /** Which main `tshub --version` ran in the copy: 'dist' or 'src'. */
  function whichMain(env: Record<string, string> = {}): string {
    const r = spawnSync(process.execPath, ['--import', PROBE, join(copy, 'bin', 'tshub.js'), '--version'], {
      encoding: 'utf8',
      env: { ...process.env, TSHUB_FROM_SOURCE: '', ...env },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^\d+\.\d+\.\d+/);
    const url = /main=(\S+)/.exec(r.stderr)?.[1] ?? '';
    assert.ok(url.startsWith(pathToFileURL(copy).href), `loaded ${url}`);
    return /\/dist\/main\.js$/.test(url) ? 'dist' : 'src';
  }

  before(() => {
    copy = mkdtempSync(join(tmpdir(), 'tshub-build-'));
    copyProject(copy, ['bin', 'src', 'package.json', 'tsconfig.json', 'tsconfig.build.json']);
    symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
    const r = build(copy, ['tsc', '-p', 'tsconfig.build.json']);
    assert.equal(r.status, 0, r.stderr);
  });

  after(() => rmSync(copy, { recursive: true, force: true }));

  test('a fresh build runs compiled; any change to the sources runs the sources', () => {
    assert.equal(whichMain(), 'dist');
    assert.equal(whichMain({ TSHUB_FROM_SOURCE: '1' }), 'src');

    const added = join(copy, 'src', 'lib', 'added-after-build.ts');
    writeFileSync(added, 'export const x = 1;\n');
    assert.equal(whichMain(), 'src', 'a source file added');
    rmSync(added);
    assert.equal(whichMain(), 'dist');

    // Tests are not compiled, so they do not make a build stale.
    writeFileSync(join(copy, 'src', 'lib', 'added.test.ts'), '');
    assert.equal(whichMain(), 'dist');

    const file = join(copy, 'src', 'version.ts');
    const { atime, mtime } = statSync(file);
    utimesSync(file, atime, new Date(mtime.getTime() + 1000));
    assert.equal(whichMain(), 'src', 'a source file touched');
  });

  test('the fingerprint covers exactly the files the build compiles', async () => {
    const compiled = readdirSync(join(copy, 'dist'), { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.js'))
      .sort();
    const fingerprinted = (await stampOf(copy))
      .sourceFiles(copy)
      .filter((f) => f.startsWith('src/'))
      .map((f) => f.slice('src/'.length).replace(/\.ts$/, '.js'))
      .sort();
    assert.ok(compiled.length > 100);
    assert.deepEqual(compiled, fingerprinted);
  });

  test('compiled pages find the templates and static files under src/web', async () => {
    const web = (await import(
      pathToFileURL(join(copy, 'dist', 'web', 'templates.js')).href
    )) as typeof import('../src/web/templates.ts');
    assert.equal(web.BUILTIN_TEMPLATES, join(copy, 'src', 'web', 'templates'));
    assert.ok(web.builtinTemplates().staticFiles.has('style.css'));
  });
});

describe('build-stamp.js wrapping a build command', () => {
  let root: string;
  const stampFile = () => join(root, 'dist', 'build-stamp.json');
  const node = (script: string) => [process.execPath, '-e', script];

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'tshub-stamp-'));
    copyProject(root, ['bin/build-stamp.js', 'tsconfig.json', 'tsconfig.build.json']);
    mkdirSync(join(root, 'src'));
    writeFileSync(join(root, 'src', 'main.ts'), 'export {};\n');
  });

  after(() => rmSync(root, { recursive: true, force: true }));

  test('stamps a successful build, after emptying dist/ of the previous one', async () => {
    mkdirSync(join(root, 'dist'), { recursive: true });
    writeFileSync(join(root, 'dist', 'deleted-module.js'), '');
    const r = build(root, node("require('fs').mkdirSync('dist'); require('fs').writeFileSync('dist/main.js', '')"));
    assert.equal(r.status, 0, r.stderr);
    assert.ok(!existsSync(join(root, 'dist', 'deleted-module.js')));
    assert.ok((await stampOf(root)).buildIsFresh(root));
  });

  test('a failed build leaves no stamp and fails with its status', () => {
    const r = build(root, node("require('fs').mkdirSync('dist', { recursive: true }); process.exit(3)"));
    assert.equal(r.status, 3);
    assert.ok(!existsSync(stampFile()));
  });

  test('no stamp when a source changes while the compiler runs', () => {
    const r = build(
      root,
      node(
        "require('fs').mkdirSync('dist', { recursive: true }); require('fs').appendFileSync('src/main.ts', '// saved during the build\\n')",
      ),
    );
    assert.equal(r.status, 1);
    assert.match(r.stderr, /sources changed during the build/);
    assert.ok(!existsSync(stampFile()));
  });
});
