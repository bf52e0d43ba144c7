// Presets of the oauth authenticator (authenticator.class: github, gitlab, google, azuread): defaults for
// authenticator.oauth as JupyterHub's OAuthenticator classes have them, and each provider's own checks after
// the code exchange. The flow itself (PKCE, state, nonce, id_token checks) is the generic one.
import type { AuthenticatorConfig } from '../../../config/schema-authenticator.ts';
import type { OAuthConfig } from '../../../config/schema-oauth.ts';
import type { Identity } from '../admission.ts';
import { azureadDefaults, azureadEnrich } from './azuread.ts';
import { githubDefaults, githubEnrich } from './github.ts';
import { gitlabDefaults, gitlabEnrich } from './gitlab.ts';
import { googleDefaults, googleEnrich } from './google.ts';

interface Preset {
  /** Values for the authenticator.oauth keys the admin left out, from the ones given (github_url, tenant_id). */
  defaults(raw: Record<string, unknown>): Record<string, unknown>;
  enrich(o: OAuthConfig, who: Identity, accessToken: string): Promise<Identity>;
}

const PRESETS: Record<string, Preset> = {
  github: { defaults: githubDefaults, enrich: githubEnrich },
  gitlab: { defaults: gitlabDefaults, enrich: gitlabEnrich },
  google: { defaults: googleDefaults, enrich: googleEnrich },
  azuread: { defaults: azureadDefaults, enrich: azureadEnrich },
  // Microsoft's current name for Azure AD; issue 16's config contract spells it so.
  entra: { defaults: azureadDefaults, enrich: azureadEnrich },
};

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The merged configuration sources with the preset's defaults filled in under authenticator.oauth, before
 * the schema's own defaults apply: what the admin wrote always wins, and a key left out takes the preset's
 * value rather than the generic one (GitHub's username is `login`, not `preferred_username`).
 */
export function withPresetDefaults(merged: Record<string, unknown>): Record<string, unknown> {
  const a = merged.authenticator;
  if (!isRecord(a) || typeof a.class !== 'string' || !Object.hasOwn(PRESETS, a.class)) return merged;
  const raw = isRecord(a.oauth) ? a.oauth : {};
  const oauth = { ...PRESETS[a.class]!.defaults(raw), ...raw };
  return { ...merged, authenticator: { ...a, oauth } };
}

/** The preset's checks with the access token, for finishLogin; undefined for the generic class. */
export function presetEnrich(
  a: AuthenticatorConfig,
): ((who: Identity, token: string) => Promise<Identity>) | undefined {
  const preset = Object.hasOwn(PRESETS, a.class) ? PRESETS[a.class] : undefined;
  return preset && ((who, token) => preset.enrich(a.oauth, who, token));
}
