#!/usr/bin/env node
// Entry point of the `tshub` command. tshub runs its TypeScript sources directly, which needs Node 24;
// npm scripts and npx get it from the pinned `node` devDependency even where the system Node is older.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(
    `tshub needs Node.js 24 or newer, but this is ${process.version}.\n` +
      'Run it through npm (npm start, npx tshub), which uses the Node 24 installed by `npm ci`.\n',
  );
  process.exit(1);
}
await import('../src/main.ts');
