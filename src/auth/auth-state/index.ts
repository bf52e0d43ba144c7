// auth_state encrypted at rest, as JupyterHub stores it (Fernet with JUPYTERHUB_CRYPT_KEY), and when
// each login was last confirmed with the identity provider.
export { CRYPT_KEY_ENV, CryptKeeper, EncryptionUnavailable, parseKey } from './crypt-keeper.ts';
export { RefreshTimes } from './refresh-times.ts';
export { cryptKeeperForHub } from './startup.ts';
