import type { Command } from 'commander';
import { generateConfigText } from '../config/index.ts';

export function registerGenerateConfig(program: Command): void {
  program
    .command('generate-config')
    .description('print a commented config file with every key and its default')
    .action(() => {
      process.stdout.write(generateConfigText());
    });
}
