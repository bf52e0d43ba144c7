import type { Command } from 'commander';
import { createCullLog } from '../culler/log.ts';
import { DEFAULTS, resolveOptions, UsageError, type CullerOptions, type CullFlags } from '../culler/options.ts';
import type { HubClient } from '../culler/hub-client.ts';
import { clientFor, runForever, runOnce } from '../culler/run.ts';
import { TSHUB_VERSION } from '../version.ts';

/** A boolean flag as jupyterhub-idle-culler takes it: `--x`, `--x=true|false`, and here also `--no-x`. */
function boolFlag(cmd: Command, name: string, help: string, dflt: boolean): Command {
  return cmd.option(`--${name} [bool]`, `${help} (default: ${dflt})`).option(`--no-${name}`, `same as --${name}=false`);
}

export function registerCull(program: Command): void {
  let cmd = program
    .command('cull')
    .description(
      'the idle culler: stop idle or too old single-user servers (and idle users) through the hub REST API, ' +
        'as jupyterhub-idle-culler does; reads JUPYTERHUB_API_TOKEN, JUPYTERHUB_API_URL and JUPYTERHUB_REQUEST_TIMEOUT',
    )
    .option('--url <url>', 'the hub API URL, e.g. http://127.0.0.1:8081/hub/api (default: $JUPYTERHUB_API_URL)')
    .option('--timeout <seconds>', `cull servers (and users) idle at least this long (default: ${DEFAULTS.timeout})`)
    .option('--cull-every <seconds>', 'seconds between passes (default: timeout/2, rounded down)')
    .option(
      '--max-age <seconds>',
      'cull servers started (users created) this long ago even if active; 0 = never (default: 0)',
    )
    .option(
      '--concurrency <n>',
      `requests to the hub in flight at once; 0 = no limit (default: ${DEFAULTS.concurrency})`,
    )
    .option('--api-page-size <n>', 'users per page when listing; 0 = the hub default (default: 0)');
  cmd = boolFlag(
    cmd,
    'cull-users',
    'also delete users left idle with no server running; needs admin:users',
    DEFAULTS.cullUsers,
  );
  cmd = boolFlag(cmd, 'cull-admin-users', 'with --cull-users, delete idle admin users too', DEFAULTS.cullAdminUsers);
  cmd = boolFlag(cmd, 'cull-default-servers', 'cull idle default servers', DEFAULTS.cullDefaultServers);
  cmd = boolFlag(cmd, 'cull-named-servers', 'cull idle named servers', DEFAULTS.cullNamedServers);
  cmd = boolFlag(
    cmd,
    'remove-named-servers',
    'remove culled named servers, not only stop them',
    DEFAULTS.removeNamedServers,
  );
  cmd = boolFlag(
    cmd,
    'ssl-enabled',
    'the hub API uses internal SSL: present the hub-internal client certificate',
    DEFAULTS.sslEnabled,
  );
  cmd
    .option(
      '--internal-certs-location <dir>',
      `internal SSL certificates (with --ssl-enabled) (default: ${DEFAULTS.internalCertsLocation})`,
    )
    .option('--logging <level>', 'debug, info, warning, error or none (default: info)')
    .option('--once', 'run one pass and exit: 0 if it went through, 1 if anything failed (for cron and tests)')
    .showHelpAfterError('(tshub cull --help lists the options)')
    // Usage errors exit 2, as the flag checks below do, so a supervisor can tell them from a failed pass.
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
    .action(async (flags: CullFlags) => {
      let opts: CullerOptions;
      try {
        opts = resolveOptions(flags, process.env);
      } catch (err) {
        if (!(err instanceof UsageError)) throw err;
        process.stderr.write(`tshub cull: ${err.message}\n`);
        process.exitCode = 2;
        return;
      }
      const log = createCullLog(opts.logLevel);
      let client: HubClient;
      try {
        client = clientFor(opts, `tshub-cull/${TSHUB_VERSION}`);
      } catch (err) {
        process.stderr.write(`tshub cull: ${(err as Error).message}\n`);
        process.exitCode = 2;
        return;
      }
      if (opts.once) {
        process.exitCode = (await runOnce(client, opts, log)) ? 0 : 1;
        return;
      }
      const stop = new AbortController();
      for (const sig of ['SIGTERM', 'SIGINT'] as const) {
        process.once(sig, () => {
          log.info(`${sig}: stopping`);
          stop.abort();
          // A pass in flight is not waited for: what it left undone, the next culler run picks up.
          process.exit(0);
        });
      }
      await runForever(client, opts, log, stop.signal);
    });
}
