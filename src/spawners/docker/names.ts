/**
 * DockerSpawner's escape (escapism with `[a-z0-9]` safe and `-` as the escape character, lowercased):
 * each other byte becomes `-XX`. Container and volume names made from user names stay valid Docker
 * names and distinct users never collide, and names match what DockerSpawner gave the same users.
 */
export function dockerEscape(text: string): string {
  let out = '';
  for (const ch of text) {
    if (/^[a-z0-9]$/.test(ch)) out += ch;
    else for (const byte of Buffer.from(ch, 'utf8')) out += `-${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

export interface NameParts {
  prefix: string;
  username: string;
  servername: string;
  image: string;
}

/** The values name_template and volume templates may use (DockerSpawner's template_namespace). */
export function templateNamespace(p: NameParts): Record<string, string> {
  return {
    prefix: p.prefix,
    username: dockerEscape(p.username),
    safe_username: dockerEscape(p.username),
    raw_username: p.username,
    servername: dockerEscape(p.servername.toLowerCase()),
    raw_servername: p.servername,
    imagename: p.image.replace(/[/:]/g, '-'),
  };
}

/** Replaces `{key}` for the keys of `ns`; other braces stay as written. */
export function renderTemplate(template: string, ns: Record<string, string>): string {
  return template.replace(/\{([a-z_]+)\}/g, (whole, key: string) => ns[key] ?? whole);
}

export function defaultNameTemplate(servername: string): string {
  return servername ? '{prefix}-{username}--{servername}' : '{prefix}-{username}';
}

const DOCKER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** The container's name; throws when the template makes something Docker would refuse. */
export function containerName(template: string | null, p: NameParts): string {
  const name = renderTemplate(template ?? defaultNameTemplate(p.servername), templateNamespace(p));
  if (!DOCKER_NAME.test(name))
    throw new Error(`name_template gives ${JSON.stringify(name)}, which is not a valid Docker container name`);
  return name;
}
