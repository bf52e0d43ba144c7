import type { Logger } from 'pino';
import type { AuthenticatorConfig } from '../../config/schema-authenticator.ts';
import { CryptKeeper } from './crypt-keeper.ts';

/** A start-up refusal: main prints the message alone (matched by name, as the role sync's). */
class StartupError extends Error {
  override name = 'StartupError';
}

/**
 * The hub's keys. With enable_auth_state, a missing or malformed JUPYTERHUB_CRYPT_KEY stops the start
 * (upstream exits too: logins would otherwise lose their tokens silently); without it, a malformed key
 * is only warned about, and auth_state written through the API is refused until it is fixed.
 */
export function cryptKeeperForHub(
  a: Pick<AuthenticatorConfig, 'enable_auth_state' | 'allow_2fa'>,
  env: Record<string, string | undefined>,
  log: Logger,
): CryptKeeper {
  let keeper: CryptKeeper;
  try {
    keeper = CryptKeeper.fromEnv(env);
    if (a.enable_auth_state || a.allow_2fa) keeper.checkAvailable();
  } catch (err) {
    const why = (err as Error).message;
    if (a.enable_auth_state) throw new StartupError(`auth_state is enabled, but encryption is not available: ${why}`);
    // Second-factor secrets are stored with the same keys: without one, nobody could enroll or log in.
    if (a.allow_2fa) throw new StartupError(`allow_2fa is on, but encryption is not available: ${why}`);
    log.warn({ err: why }, 'JUPYTERHUB_CRYPT_KEY is not usable; auth_state cannot be stored');
    return new CryptKeeper([]);
  }
  if (keeper.keyCount) log.info({ keys: keeper.keyCount }, 'auth_state encryption keys loaded');
  return keeper;
}
