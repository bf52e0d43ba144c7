import type { TokensConfig } from '../config/schema-tokens.ts';

/** The thresholds in seconds before expiry: `seconds` if given, else `days`. */
export function noticeThresholds(notice: TokensConfig['expiry_notice']): number[] {
  return notice.seconds ?? notice.days.map((d) => d * 86400);
}

/**
 * The thresholds this token has crossed and not yet been told of. One notice is sent for the tightest of
 * them; the wider ones crossed meanwhile (a token made with 5 days to live crosses "30 days" and "7 days"
 * at once) are marked sent with it rather than sent late.
 */
export function crossedThresholds(
  t: { expires_at: string | null },
  thresholds: number[],
  /** The thresholds this token was told of already. */
  told: number[],
  now: number,
): number[] {
  if (!t.expires_at) return [];
  const leftMs = Date.parse(t.expires_at) - now;
  const crossed = thresholds.filter((th) => leftMs <= th * 1000);
  // Only a threshold tighter than every one already told of is news.
  const tightestTold = Math.min(Infinity, ...told);
  return crossed.filter((th) => !told.includes(th) && th < tightestTold);
}

/**
 * Where a user's notices are mailed: a user name that is a mail address as it is, else <name>@<domain>
 * when `tokens.expiry_notice.email_domain` is set; otherwise nowhere (the webhook still hears of it).
 */
export function recipientOf(userName: string, emailDomain: string | null): string | null {
  if (/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(userName)) return userName;
  if (emailDomain && /^[^@\s]+$/.test(userName)) return `${userName}@${emailDomain}`;
  return null;
}
