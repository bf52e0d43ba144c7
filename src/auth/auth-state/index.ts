// auth_state encrypted at rest, as JupyterHub stores it (Fernet with JUPYTERHUB_CRYPT_KEY).
export { CRYPT_KEY_ENV, CryptKeeper, EncryptionUnavailable, parseKey } from './crypt-keeper.ts';
