import type { Command } from 'commander';
import { configFrom, withConfigOptions, type ConfigFlags } from './common.ts';

interface ServeFlags extends ConfigFlags {
  bindUrl?: string;
}

export function registerServe(program: Command): void {
  withConfigOptions(program.command('serve', { isDefault: true }))
    .description('start the hub (the default command)')
    .option('--bind-url <url>', 'public URL to serve, overriding bind_url (e.g. http://127.0.0.1:8000/)')
    .action(async (flags: ServeFlags) => {
      const [{ Hub }, { createLogger }] = await Promise.all([import('../app.ts'), import('../lib/logger.ts')]);
      const { config, baseDir, file } = await configFrom(flags, flags.bindUrl ? { bind_url: flags.bindUrl } : {});
      const log = createLogger(config.log_level);
      log.info({ config_file: file }, 'starting tshub');
      let stopping = false;
      const shutdown = async (why: string) => {
        if (stopping) return;
        stopping = true;
        log.info({ why }, 'shutting down');
        await hub.stop();
        log.flush();
        process.exit(0);
      };
      const hub = await Hub.create({ config, baseDir, log, onShutdownRequest: () => void shutdown('api request') });
      process.on('SIGTERM', () => void shutdown('SIGTERM'));
      process.on('SIGINT', () => void shutdown('SIGINT'));
      await hub.start();
    });
}
