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
// The compiled build (`npm run build`) when it was made from the sources as they are now: it saves the
// ~20 MB that stripping types costs. Otherwise, or with TSHUB_FROM_SOURCE=1, the TypeScript sources,
// which are always right.
const fromSource = !['', '0', undefined].includes(process.env.TSHUB_FROM_SOURCE);
const compiled = !fromSource && (await import('./build-stamp.js')).buildIsFresh();
await import(compiled ? '../dist/main.js' : '../src/main.ts');
