import { Command } from 'commander';
import { registerAudit } from './cli/audit.ts';
import { registerCull } from './cli/cull.ts';
import { registerGenerateConfig } from './cli/generate-config.ts';
import { registerLogin } from './cli/login.ts';
import { registerPasswd } from './cli/passwd.ts';
import { registerProxy } from './cli/proxy.ts';
import { registerServe } from './cli/serve.ts';
import { registerToken } from './cli/token.ts';
import { registerTokensScan } from './cli/tokens-scan.ts';
import { registerUpgradeDb } from './cli/upgrade-db.ts';
import { registerUserCommands } from './cli/user/index.ts';
import { TSHUB_VERSION } from './version.ts';

const program = new Command()
  .name('tshub')
  .description('A multi-user notebook hub, wire-compatible with JupyterHub')
  .version(TSHUB_VERSION)
  .showHelpAfterError();

registerServe(program);
registerToken(program);
registerPasswd(program);
registerUpgradeDb(program);
registerGenerateConfig(program);
registerCull(program);
registerProxy(program);
registerAudit(program);
registerLogin(program);
registerUserCommands(program);
// After the user commands: `tokens scan` joins their `tokens` group.
registerTokensScan(program);
// Once a long-running command has started, give back what start-up used, and later what load left
// (the young generation V8 grew); see src/lib/memory-trim.ts.
program.hook('postAction', async (_program, command) => {
  if (command.name() === 'serve' || command.name() === 'proxy')
    (await import('./lib/memory-trim.ts')).startMemoryTrim();
});

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // Matched by name so that loading this entry point does not load the config or database code:
  // each command imports what it needs when it runs (`tshub cull` needs neither).
  if (err instanceof Error && (err.name === 'ConfigError' || err.name === 'StartupError')) {
    process.stderr.write(`tshub: ${err.message}\n`);
    process.exit(1);
  }
  throw err;
}
