import type { Command } from 'commander';

export function registerGenerateConfig(program: Command): void {
  program
    .command('generate-config')
    .description('print a commented config file with every key and its default')
    .action(async () => {
      const { generateConfigText } = await import('../config/index.ts');
      process.stdout.write(generateConfigText());
    });
}
