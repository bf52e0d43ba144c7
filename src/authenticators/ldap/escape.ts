// Values that come from people go into filters and DNs only through these, so that a login name can
// never change the shape of a search or of the DN a bind names.

/** A value for an LDAP search filter (RFC 4515 section 3): `*`, `(`, `)`, `\` and NUL as `\XX`. */
export function escapeFilterValue(value: string): string {
  return value.replace(/[*()\\\0]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * An attribute value inside a DN (RFC 4514 section 2.4): `"+,;<>\=` with a backslash, NUL as `\00`,
 * a leading space or `#` and a trailing space with a backslash.
 */
export function escapeDnValue(value: string): string {
  let out = value.replace(/["+,;<>\\=]/g, (c) => `\\${c}`).replace(/\0/g, '\\00');
  if (out.startsWith(' ') || out.startsWith('#')) out = `\\${out}`;
  if (out.endsWith(' ') && !out.endsWith('\\ ')) out = `${out.slice(0, -1)}\\ `;
  return out;
}

/**
 * Python's `str.format` for named fields, as upstream's templates use it: `{name}` takes the (already
 * escaped) value, `{{` and `}}` are literal braces. A field the template names but `values` lacks is an
 * error, as is a lone brace, as in Python, rather than silently left in.
 */
export function fillTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{|\}\}|\{(\w+)\}|[{}]/g, (whole, name: string | undefined) => {
    if (whole === '{{') return '{';
    if (whole === '}}') return '}';
    const v = name !== undefined && Object.hasOwn(values, name) ? values[name] : undefined;
    if (v === undefined)
      throw new Error(`unknown field or lone brace ${whole} in the template ${JSON.stringify(template)}`);
    return v;
  });
}

/**
 * The value of a DN's first RDN, unescaped (RFC 4514): `staff` for `cn=staff,ou=groups,dc=example,dc=org`.
 * How a directory group is named as a hub group (manage_groups).
 */
export function firstRdnValue(dn: string): string {
  const m = /^[^=]*=((?:\\.|[^,+\\])*)/.exec(dn.trim());
  if (!m) return dn;
  const bytes: number[] = [];
  // By code point, so that a character outside the BMP stays whole.
  const raw = Array.from(m[1]!);
  for (let i = 0; i < raw.length; i++) {
    const hex = raw[i] === '\\' ? /^[0-9a-fA-F]{2}$/.exec(`${raw[i + 1]}${raw[i + 2]}`) : null;
    if (hex) {
      bytes.push(Number.parseInt(hex[0], 16));
      i += 2;
    } else {
      if (raw[i] === '\\') i += 1;
      bytes.push(...Buffer.from(raw[i] ?? ''));
    }
  }
  return Buffer.from(bytes).toString('utf8').trim();
}
