import type { Command } from 'commander';
import { cliCaller, cliCommandDeps, configFrom, withConfigOptions, type ConfigFlags } from './common.ts';

interface TokenFlags extends ConfigFlags {
  note: string;
  expiresIn?: string;
}

export function registerToken(program: Command): void {
  withConfigOptions(program.command('token'))
    .description('print a new API token for an existing user (alone on its line)')
    .argument('<username>', 'the user the token acts as')
    .option('--note <text>', 'what the token is for', 'command-line generated')
    .option(
      '--expires-in <seconds>',
      'lifetime in seconds (default: tokens.default_expires_in, else never or tokens.expires_in_max_seconds)',
    )
    .action(async (username: string, flags: TokenFlags) => {
      if (flags.expiresIn !== undefined && (!/^\d+$/.test(flags.expiresIn) || Number(flags.expiresIn) < 1)) {
        process.stderr.write(`tshub token: --expires-in must be a whole number of seconds, not '${flags.expiresIn}'\n`);
        process.exit(1);
      }
      const [{ parseDbUrl }, { connect, migrateToLatest }, { findUser }, { AuditRecorder }, tokens, errors, logs] =
        await Promise.all([
          import('../config/index.ts'),
          import('../db/index.ts'),
          import('../repo/users.ts'),
          import('../audit/index.ts'),
          import('../commands/tokens/index.ts'),
          import('../errors/index.ts'),
          import('../lib/logger.ts'),
        ]);
      const { config, baseDir } = await configFrom(flags);
      // stdout holds the token alone: the log goes to stderr, and says only what went wrong unless asked for more.
      const log = logs.createLogger(flags.logLevel ?? 'warn', process.stderr);
      const db = connect(parseDbUrl(config.db_url, baseDir));
      // The hub writes to the same audit chain meanwhile: the recorder attaches after whatever head it finds.
      const audit = new AuditRecorder(db.k, log, config.audit);
      try {
        await migrateToLatest(db.k, db.kind);
        const user = await findUser(db.k, username.toLowerCase());
        if (!user) {
          process.stderr.write(`tshub token: no such user: ${username}\n`);
          process.exitCode = 1;
          return;
        }
        const deps = cliCommandDeps(db, config, log, audit);
        const caller = cliCaller('tshub token');
        const { token } = await tokens.createToken(deps, caller, {
          user,
          note: flags.note,
          scopes: ['inherit'],
          expiresIn: flags.expiresIn === undefined ? undefined : Number(flags.expiresIn),
        });
        process.stdout.write(`${token}\n`);
      } catch (err) {
        if (!(err instanceof errors.HubError)) throw err;
        // The command line names its flag and the config key where the API names its body field.
        const message =
          err.reason === 'token_lifetime_exceeded'
            ? `--expires-in ${flags.expiresIn} exceeds tokens.expires_in_max_seconds (${config.tokens.expires_in_max_seconds})`
            : err.message;
        process.stderr.write(`tshub token: ${message}\n`);
        process.exitCode = 1;
      } finally {
        await audit.stop();
        await db.close();
      }
    });
}
