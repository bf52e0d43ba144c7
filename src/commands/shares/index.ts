// Sharing servers (JupyterHub 5): shares with users and groups, and share codes anyone may accept.
export { acceptShareCode, OWN_CODE_MESSAGE } from './accept.ts';
export { CODE_EXPIRES_IN, codeId, createShareCode, liveShareCode, revokeShareCodes } from './codes.ts';
export { grantShare } from './create.ts';
export { revokeAllShares } from './revoke-all.ts';
export { lookupShare, revokeShare, type ShareAddress } from './revoke.ts';
export { existingServer } from './rules.ts';
export { revokeShareScopes } from './update.ts';
