// Token commands: every state change of a token made on request (API, token page, `tshub token`).
export { bulkRevokeTokens, type BulkRevokeInput } from './bulk-revoke.ts';
export { createToken, type CreateTokenInput } from './create.ts';
export type { TokenCommandDeps } from './deps.ts';
export { newTokenLifetime } from './expiry.ts';
export { findOwnToken } from './own-token.ts';
export { revokeAllTokens } from './revoke-all.ts';
export { revokeToken } from './revoke.ts';
export { LEAKED_REASON, revokeLeaked } from './revoke-leaked.ts';
export { type RotatedOwner, type RotateOptions, rotateToken, rotateTokenRow } from './rotate.ts';
export { retireOnFirstUse } from './retire-on-use.ts';
