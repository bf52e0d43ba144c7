// The name rules the API server checks: RFC 1123 labels and subdomains, DNS-1035 labels, with its wording.

export const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
export const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const DNS1035_MSG =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

export const quote = (v: unknown) => JSON.stringify(v);

/** A name check by the rule each kind uses (namespaces: RFC 1123 label, services: DNS-1035, else subdomain). */
export function nameProblem(resource: string, name: string): string | null {
  if (resource === 'namespaces')
    return LABEL.test(name) && name.length <= 63 ? null : `Invalid value: ${quote(name)}: ${LABEL_MSG}`;
  if (resource === 'services')
    return DNS1035.test(name) && name.length <= 63 ? null : `Invalid value: ${quote(name)}: ${DNS1035_MSG}`;
  if (!SUBDOMAIN.test(name)) return `Invalid value: ${quote(name)}: ${SUBDOMAIN_MSG}`;
  if (name.length > 253) return `Invalid value: ${quote(name)}: must be no more than 253 characters`;
  return null;
}
