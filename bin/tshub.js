#!/usr/bin/env node
// Entry point of the `tshub` command. tshub runs on Node 24; npm scripts and npx get it from the pinned
// `node` devDependency even where the system Node is older.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(
    `tshub needs Node.js 24 or newer, but this is ${process.version}.\n` +
      'Run it through npm (npm start, npx tshub), which uses the Node 24 installed by `npm ci`.\n',
  );
  process.exit(1);
}
// `tshub serve` runs with V8's young generation held to 8 MB per semi-space: V8 grows it to two 32 MB
// semi-spaces under load and keeps them (64 MB of the hub's memory after a burst of requests). At 8 MB the
// collector took the same share of CPU as at 32 MB in profiles of the uncached user listing; at 2 MB twice
// as much (docs/benchmarks.md). V8 reads the flag only when the process starts, so the process replaces
// itself (same pid) with one that has it; a --max-semi-space-size given to node explicitly wins.
// It also gets MALLOC_ARENA_MAX=2 (unless set): glibc gives each thread that allocates (V8's collector
// threads, libuv's pool) an arena of its own, and freed memory stays in whichever arena had it; with two,
// the hub's RSS after the benchmark's load was ~15 MB lower at the same speed (docs/benchmarks.md).
const SERVE_NODE_FLAGS = ['--max-semi-space-size=8'];
if (
  process.argv[2] === 'serve' &&
  typeof process.execve === 'function' &&
  !process.execArgv.some((f) => f.startsWith('--max-semi-space-size'))
) {
  process.execve(
    process.execPath,
    [process.execPath, ...SERVE_NODE_FLAGS, ...process.execArgv, ...process.argv.slice(1)],
    { MALLOC_ARENA_MAX: '2', ...process.env },
  );
}
// The compiled build (`npm run build`) when it was made from the sources as they are now: it saves the
// ~20 MB that stripping types costs. Otherwise, or with TSHUB_FROM_SOURCE=1, the TypeScript sources,
// which are always right.
const fromSource = !['', '0', undefined].includes(process.env.TSHUB_FROM_SOURCE);
const compiled = !fromSource && (await import('./build-stamp.js')).buildIsFresh();
await import(compiled ? '../dist/main.js' : '../src/main.ts');
