import type { Command } from 'commander';
import type { LiveFinding, ScanResult } from '../tokens/scan/scan.ts';
import { configFrom, withConfigOptions, type ConfigFlags } from './common.ts';

interface ScanFlags extends ConfigFlags {
  revoke?: boolean;
  json?: boolean;
  watch?: string[];
  interval: string;
}

function describe(f: LiveFinding): string {
  const where = f.cell === null ? '' : ` cell ${f.cell}${f.output !== null ? ` output ${f.output}` : ''}`;
  const attached = f.attachment !== null ? ` attachment ${f.attachment}` : '';
  const owner = `${f.owner.kind} ${f.owner.name}`;
  return `${f.file}${where}${attached}: live token ${f.token_id} (${f.prefix}…) of ${owner}${f.revoked ? ', revoked' : ''}`;
}

function report(result: ScanResult, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify({ files: result.files, live: result.live, errors: result.errors })}\n`);
    return;
  }
  for (const f of result.live) process.stdout.write(`${describe(f)}\n`);
  for (const e of result.errors) process.stderr.write(`tshub tokens scan: cannot read ${e.path}: ${e.error}\n`);
  process.stderr.write(`${result.files} files read, ${result.live.length} live tokens found\n`);
}

/** `tshub tokens`: the group the scanner belongs to, made here unless another command made it first. */
function tokensGroup(program: Command): Command {
  return (
    program.commands.find((c) => c.name() === 'tokens') ??
    program.command('tokens').description('API tokens of this hub, from the command line')
  );
}

export function registerTokensScan(program: Command): void {
  withConfigOptions(tokensGroup(program).command('scan'))
    .description(
      "find live tokens of this hub in files (text, and notebooks' outputs and attachments); exits 1 when any is found",
    )
    .argument('[paths...]', 'files or directories to read (not with --watch)')
    .option('--revoke', 'revoke the live tokens found (audited as "reported leaked"; their owners are told)')
    .option('--json', 'print the result as one JSON object')
    .option(
      '--watch <dirs...>',
      "a managed service: scan these directories (e.g. users' homes) every --interval, revoking",
    )
    .option('--interval <seconds>', 'seconds between rounds with --watch', '3600')
    .action(async (paths: string[], flags: ScanFlags) => {
      const interval = Number(flags.interval);
      if (!Number.isInteger(interval) || interval < 1) {
        process.stderr.write(
          `tshub tokens scan: --interval must be a whole number of seconds, not '${flags.interval}'\n`,
        );
        process.exit(2);
      }
      if ((paths.length === 0) === !flags.watch) {
        process.stderr.write('tshub tokens scan: give paths to scan, or --watch directories (not both)\n');
        process.exit(2);
      }
      const { openScanner } = await import('../tokens/scan/scanner.ts');
      const scanner = await openScanner(await configFrom(flags), flags.logLevel ?? (flags.watch ? 'info' : 'warn'));
      try {
        if (!flags.watch) {
          const result = await scanner.scan(paths, { revoke: flags.revoke === true });
          report(result, flags.json === true);
          if (result.live.length > 0) process.exitCode = 1;
          return;
        }
        await scanner.watch(flags.watch, interval * 1000, (result) => report(result, flags.json === true));
      } finally {
        await scanner.close();
      }
    });
}
