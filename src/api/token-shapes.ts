import { type TSchema, Type } from 'typebox';
import type { RotateOptions } from '../commands/tokens/index.ts';
import type { HubContext } from '../context.ts';
import type { TokenRow } from '../db/index.ts';
import { judge } from '../tokens/judge.ts';

// The request and answer shapes the token routes share, a user's (tokens.ts) and a service's
// (service-tokens.ts): one definition each, so the two APIs cannot drift apart.

const MAX_EXPIRES_IN = 100 * 365 * 86400;
export const StringList = Type.Union([Type.Array(Type.String()), Type.Null()]);

export const IncludeInactive = Type.Object({
  include_inactive: Type.Optional(
    Type.String({ description: 'tshub: also list expired, revoked and rotated tokens under `inactive_tokens`' }),
  ),
});

/** A token list: the usable tokens, and with include_inactive the others apart. */
export function tokenList(model: TSchema) {
  return Type.Object({ api_tokens: Type.Array(model), inactive_tokens: Type.Optional(Type.Array(model)) });
}

/** The body of a token list, `models[i]` presenting `rows[i]`. */
export function tokenListBody(models: unknown[], rows: TokenRow[], now: number, inactive: boolean) {
  const body: { api_tokens: unknown[]; inactive_tokens?: unknown[] } = {
    api_tokens: models.filter((_, i) => judge(rows[i]!, now).ok),
  };
  if (inactive) body.inactive_tokens = models.filter((_, i) => !judge(rows[i]!, now).ok);
  return body;
}

/** The body of a token request (JupyterHub's note, expires_in, scopes, roles), plus a route's own keys. */
export function tokenRequestBody<E extends Record<string, TSchema> = Record<never, TSchema>>(extra: E = {} as E) {
  return Type.Optional(
    Type.Union([
      Type.Null(),
      Type.Object(
        {
          note: Type.Optional(Type.Union([Type.String({ maxLength: 1000 }), Type.Null()])),
          expires_in: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: MAX_EXPIRES_IN }), Type.Null()])),
          scopes: Type.Optional(StringList),
          roles: Type.Optional(StringList),
          ...extra,
        },
        { additionalProperties: false },
      ),
    ]),
  );
}

/** The body of every rotate route (a user's token by id or `self`, a service's token). */
export function rotateBody(ctx: HubContext) {
  return Type.Optional(
    Type.Union([
      Type.Null(),
      Type.Object(
        {
          grace_seconds: Type.Optional(
            Type.Integer({
              minimum: 0,
              maximum: ctx.config.tokens.rotation_max_grace_seconds,
              description: 'How long the old token keeps working beside the new one (default 0: it ends at once).',
            }),
          ),
          retire_on_use: Type.Optional(
            Type.Boolean({
              description:
                'tshub: the old token keeps working until the new one is first used, then ends at once; grace_seconds (default: tokens.rotation_max_grace_seconds) bounds it.',
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ]),
  );
}

export function rotateOptions(
  body: { grace_seconds?: number; retire_on_use?: boolean } | null | undefined,
): RotateOptions {
  return { graceSeconds: body?.grace_seconds ?? 0, retireOnUse: body?.retire_on_use ?? false };
}
