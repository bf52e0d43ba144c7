import type { Command } from 'commander';
import { cliCaller, cliCommandDeps, configFrom, withConfigOptions, type ConfigFlags } from './common.ts';

interface PasswdFlags extends ConfigFlags {
  random?: boolean;
}

function fail(message: string): never {
  process.stderr.write(`tshub passwd: ${message}\n`);
  process.exit(1);
}

/** Reads one line from the terminal without echoing it (prompt on stderr, so stdout stays clean). */
async function promptHidden(prompt: string): Promise<string> {
  const { createInterface } = await import('node:readline');
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  process.stderr.write(prompt);
  // readline echoes through this (internal) method; silencing it is the usual way to hide typing.
  (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => {};
  try {
    return await new Promise<string>((resolve) => rl.question('', resolve));
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}

/** The whole of a piped stdin, less one line ending (as `echo secret |` or a here-string adds). */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

async function newPassword(): Promise<string> {
  if (!process.stdin.isTTY) return readStdin();
  const first = await promptHidden('New password: ');
  const again = await promptHidden('Repeat it: ');
  if (first !== again) fail('the two passwords differ; nothing changed');
  return first;
}

export function registerPasswd(program: Command): void {
  withConfigOptions(program.command('passwd'))
    .description(
      "set an existing user's password for the password authenticator (read from stdin, or prompted for on a terminal)",
    )
    .argument('<username>', 'the user whose password to set')
    .option('--random', 'generate a random password and print it (alone on its line)')
    .action(async (username: string, flags: PasswdFlags) => {
      const [{ parseDbUrl }, { connect, migrateToLatest }, { findUser }, passwords, audits, users, errors, logs] =
        await Promise.all([
          import('../config/index.ts'),
          import('../db/index.ts'),
          import('../repo/users.ts'),
          import('../auth/passwords.ts'),
          import('../audit/index.ts'),
          import('../commands/users/index.ts'),
          import('../errors/index.ts'),
          import('../lib/logger.ts'),
        ]);
      const { normalizeUsername } = await import('../auth/usernames.ts');
      const { config, baseDir } = await configFrom(flags);
      const name = normalizeUsername(username);
      const log = logs.createLogger('warn', process.stderr);
      const db = connect(parseDbUrl(config.db_url, baseDir));
      const audit = new audits.AuditRecorder(db.k, log, config.audit);
      try {
        await migrateToLatest(db.k, db.kind);
        // Checked before asking for a password, so a typo in the name does not waste one.
        const user = await findUser(db.k, name);
        if (!user) fail(`no such user: ${username} (create the user first, e.g. on the admin page)`);
        const password = flags.random ? passwords.randomPassword() : await newPassword();
        // The command applies the password policy and ends the user's sessions, as the change-password page.
        const deps = cliCommandDeps(db, config, log, audit);
        const caller = cliCaller('tshub passwd');
        try {
          await users.changePassword(deps, caller, { name: user.name, password });
        } catch (err) {
          if (err instanceof errors.HubError) fail(`${err.message}; nothing changed`);
          throw err;
        }
        if (flags.random) process.stdout.write(`${password}\n`);
        process.stderr.write(`tshub passwd: password set for ${user.name}\n`);
        if (config.authenticator.class !== 'password') {
          process.stderr.write(
            `tshub passwd: note: authenticator.class is '${config.authenticator.class}'; stored passwords are used only with class: password\n`,
          );
        }
      } finally {
        await audit.stop();
        await db.close();
      }
    });
}
