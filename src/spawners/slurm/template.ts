/** Values a batch template may use; unknown names render as '' (as in Jinja). */
export type TemplateVars = Record<string, string>;

const IF_BLOCK = /\{%-?\s*if\s+(not\s+)?([A-Za-z_]\w*)\s*-?%\}([\s\S]*?)\{%-?\s*endif\s*-?%\}/g;
const DOUBLE = /\{\{-?\s*([A-Za-z_]\w*)\s*-?\}\}/g;
const SINGLE = /\{([A-Za-z_]\w*)\}/g;

/**
 * Renders a batchspawner template without Jinja: `{{name}}` and `{% if [not] name %}...{% endif %}`
 * (not nested), the subset its shipped scripts use. A template with neither is an old-style
 * str.format one (`{name}`); there a name we do not know is left as written, so that a shell's
 * `${HOME}` survives.
 */
export function renderTemplate(template: string, vars: TemplateVars): string {
  if (!template.includes('{{') && !template.includes('{%'))
    return template.replace(SINGLE, (whole, name: string) => vars[name] ?? whole);
  return template
    .replace(IF_BLOCK, (_whole, not: string | undefined, name: string, body: string) =>
      Boolean(vars[name]) !== Boolean(not) ? body : '',
    )
    .replace(DOUBLE, (_whole, name: string) => vars[name] ?? '');
}

/** `s` as one word for /bin/sh, quoted only when it needs to be (so a plain command stays readable). */
export function shellWord(s: string): string {
  if (/^[\w@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replaceAll("'", `'\\''`)}'`;
}
