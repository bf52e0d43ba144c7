// Token binding: a token may be limited to addresses (a CIDR allowlist) and to a start time (not_before).
// The one rule both the hub and `tshub proxy` apply; the proxy imports this file, so it stays free of the
// hub's modules (node:net only).
import { BlockList, isIPv4, isIPv6 } from 'node:net';

/** A token's binding as stored and shown: CIDRs in canonical form (empty: anywhere), an ISO time or null. */
export interface TokenBinding {
  allowedCidrs: string[];
  notBefore: string | null;
}

export type BindingFailure = 'token_ip_not_allowed' | 'token_not_yet_valid';

/** A binding ready to check an address against: the CIDRs in a BlockList (one per token, built once). */
export interface CompiledBinding {
  cidrs: BlockList | null;
  /** ms since the epoch, or null. */
  notBefore: number | null;
}

/** CIDRs one token may hold: an allowlist, not a firewall. */
export const MAX_CIDRS = 64;

/** `a.b.c.d/n` or `h:h::h/n` in canonical form; an address without a prefix is one host. Null when invalid. */
export function canonicalCidr(text: string): string | null {
  const slash = text.indexOf('/');
  const addr = (slash < 0 ? text : text.slice(0, slash)).trim();
  const v4 = isIPv4(addr);
  if (!v4 && !isIPv6(addr)) return null;
  const max = v4 ? 32 : 128;
  const prefixText = slash < 0 ? String(max) : text.slice(slash + 1).trim();
  if (!/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = Number(prefixText);
  if (prefix > max) return null;
  return `${v4 ? addr : addr.toLowerCase()}/${prefix}`;
}

/** The canonical list, or a message naming the first bad entry. */
export function parseCidrs(list: readonly string[]): string[] | string {
  if (list.length > MAX_CIDRS) return `allowed_cidrs holds at most ${MAX_CIDRS} entries`;
  const out: string[] = [];
  for (const item of list) {
    const c = canonicalCidr(item);
    if (c === null) return `allowed_cidrs: '${item.slice(0, 60)}' is not an IPv4 or IPv6 CIDR (e.g. 10.0.0.0/8)`;
    if (!out.includes(c)) out.push(c);
  }
  return out;
}

export function compileBinding(b: TokenBinding): CompiledBinding {
  let cidrs: BlockList | null = null;
  if (b.allowedCidrs.length > 0) {
    cidrs = new BlockList();
    for (const c of b.allowedCidrs) {
      const [addr, prefix] = c.split('/') as [string, string];
      cidrs.addSubnet(addr, Number(prefix), isIPv4(addr) ? 'ipv4' : 'ipv6');
    }
  }
  const t = b.notBefore === null ? Number.NaN : Date.parse(b.notBefore);
  return { cidrs, notBefore: Number.isFinite(t) ? t : null };
}

/** A socket address as a plain one: `::ffff:127.0.0.1` (a dual-stack listener's IPv4 peer) is 127.0.0.1. */
export function plainAddress(ip: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return m ? m[1]! : ip;
}

/** Why the binding refuses a request from `ip` at `now`, or null. An unknown address is outside any list. */
export function bindingFailure(b: CompiledBinding, ip: string | null, now = Date.now()): BindingFailure | null {
  if (b.notBefore !== null && now < b.notBefore) return 'token_not_yet_valid';
  if (b.cidrs === null) return null;
  if (!ip) return 'token_ip_not_allowed';
  const addr = plainAddress(ip);
  const family = isIPv4(addr) ? 'ipv4' : isIPv6(addr) ? 'ipv6' : null;
  return family && b.cidrs.check(addr, family) ? null : 'token_ip_not_allowed';
}
