import type { Command } from 'commander';
import { configFrom, withConfigOptions, type ConfigFlags } from './common.ts';

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
      const [{ parseDbUrl }, { connect, migrateToLatest }, { findUser }, { issueToken }] = await Promise.all([
        import('../config/index.ts'),
        import('../db/index.ts'),
        import('../repo/users.ts'),
        import('../tokens/issue.ts'),
      ]);
      const { config, baseDir } = await configFrom(flags);
      // As through the API: no --expires-in means the configured default; above the maximum is refused.
      let expiresIn: number | null = config.tokens.default_expires_in;
      if (flags.expiresIn !== undefined) {
        if (!/^\d+$/.test(flags.expiresIn) || Number(flags.expiresIn) < 1) {
          process.stderr.write(
            `tshub token: --expires-in must be a whole number of seconds, not '${flags.expiresIn}'\n`,
          );
          process.exit(1);
        }
        expiresIn = Number(flags.expiresIn);
      }
      const max = config.tokens.expires_in_max_seconds;
      if (max && expiresIn !== null && expiresIn > max) {
        process.stderr.write(`tshub token: --expires-in ${expiresIn} exceeds tokens.expires_in_max_seconds (${max})\n`);
        process.exit(1);
      }
      if (max && expiresIn === null) expiresIn = max;
      const db = connect(parseDbUrl(config.db_url, baseDir));
      try {
        await migrateToLatest(db.k, db.kind);
        const user = await findUser(db.k, username.toLowerCase());
        if (!user) {
          process.stderr.write(`tshub token: no such user: ${username}\n`);
          process.exitCode = 1;
          return;
        }
        const { token } = await issueToken(db.k, db.kind, {
          owner: { kind: 'user', id: user.id },
          kind: 'api',
          note: flags.note,
          scopes: ['inherit'],
          expiresIn,
        });
        process.stdout.write(`${token}\n`);
      } finally {
        await db.close();
      }
    });
}
