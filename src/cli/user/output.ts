import type { Command, CommanderError } from 'commander';
import { ApiError, type ConnectFlags, UsageError } from './client.ts';

/** The flags every user command has. */
export function withConnectOptions(cmd: Command): Command {
  return cmd
    .option('--url <url>', 'hub URL (default: $JUPYTERHUB_API_URL, else the stored login)')
    .option('--token <token>', 'API token (default: $JUPYTERHUB_API_TOKEN, else the stored login)')
    .option('--json', 'machine-readable JSON on stdout instead of a table');
}

/**
 * Usage errors exit 2 (as getopt tools do) so scripts can tell them from the hub's refusals (1). Subcommands
 * made after this call inherit it.
 */
export function exitTwoOnUsage(cmd: Command): Command {
  return cmd.exitOverride((err: CommanderError) => {
    process.exit(err.exitCode === 0 ? 0 : 2);
  });
}

/** Runs a command's body; the hub's errors print its message and reason and exit 1, usage errors exit 2. */
export function run<A extends unknown[]>(
  label: string,
  body: (...args: A) => Promise<void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await body(...args);
    } catch (err) {
      if (err instanceof UsageError) {
        process.stderr.write(`tshub ${label}: ${err.message}\n`);
        process.exit(2);
      }
      if (err instanceof ApiError) {
        const status = err.status ? `${err.status} ` : '';
        const reason = err.reason ? ` (${err.reason})` : '';
        process.stderr.write(`tshub ${label}: ${status}${err.message}${reason}\n`);
        process.exit(1);
      }
      throw err;
    }
  };
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Columns padded to their widest cell; empty cells show '-'. */
export function printTable(headers: string[], rows: (string | number | boolean | null | undefined)[][]): void {
  const cells = rows.map((r) => r.map((c) => (c === null || c === undefined || c === '' ? '-' : String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  process.stdout.write(`${[line(headers), ...cells.map(line)].join('\n')}\n`);
}

/** The flags of a subcommand merged with its parent's (so `--json` works before or after the verb). */
export function flagsOf<T extends ConnectFlags>(cmd: Command): T {
  return cmd.optsWithGlobals() as T;
}
