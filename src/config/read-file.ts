import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from './errors.ts';
import { isPlainObject } from './validate.ts';

// Reads one config file into plain data. Parse errors give line and column but no excerpt of the
// file: the excerpt could be a line holding a token.

async function parseData(file: string, ext: string): Promise<unknown> {
  const text = await readFile(file, 'utf8');
  if (ext === '.json') {
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      const where = /line (\d+) column (\d+)/.exec(String(err));
      throw new ConfigError([`${file} is not valid JSON${where ? ` (line ${where[1]}, column ${where[2]})` : ''}`]);
    }
  }
  // Loaded for YAML files only: the parser is ~70 modules a hub configured in JSON has no use for.
  const { parse: parseYaml, YAMLParseError } = await import('yaml');
  try {
    return parseYaml(text, { prettyErrors: false }) as unknown;
  } catch (err) {
    if (!(err instanceof YAMLParseError)) throw err;
    // without prettyErrors the message has no excerpt; work out the line from the offset
    const before = text.slice(0, err.pos[0]).split('\n');
    const where = ` (line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1})`;
    throw new ConfigError([`${file} is not valid YAML${where}: ${err.message}`]);
  }
}

async function importModule(file: string): Promise<unknown> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError([`${file} could not be loaded: ${err instanceof Error ? err.message : String(err)}`]);
  }
  if (!('default' in mod)) {
    throw new ConfigError([
      `${file} has no default export; export the config with \`export default defineConfig({...})\``,
    ]);
  }
  return mod.default;
}

/** The file's contents as a mapping; `how` says where the file name came from, for the not-found message. */
export async function readConfigFile(file: string, how: string): Promise<Record<string, unknown>> {
  const st = await stat(file).catch(() => null);
  if (st === null || !st.isFile())
    throw new ConfigError([`config file ${file} (${how}) does not exist or is not a file`]);
  const ext = extname(file).toLowerCase();
  let data: unknown;
  if (ext === '.yaml' || ext === '.yml' || ext === '.json') data = await parseData(file, ext);
  else if (ext === '.mjs' || ext === '.js' || ext === '.ts' || ext === '.mts') data = await importModule(file);
  else throw new ConfigError([`config file ${file} has an unknown type; use .yaml, .yml, .json, .mjs, .js or .ts`]);
  // an empty YAML file (or one with only comments) means all defaults
  if (data === null || data === undefined) return {};
  if (!isPlainObject(data)) throw new ConfigError([`${file} must hold a mapping of config keys at the top level`]);
  return data;
}
