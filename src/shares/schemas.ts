import { Type, type TSchema } from 'typebox';

// JupyterHub 5's share models (rest-api.yml), for validation of answers and the OpenAPI document.
const orNull = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Named = Type.Object({ name: Type.String() });

export const SharedServerModel = Type.Object({
  user: Named,
  name: Type.String(),
  url: Type.String(),
  full_url: orNull(Type.String()),
  ready: Type.Boolean(),
});

export const ShareModel = Type.Object({
  server: SharedServerModel,
  scopes: Type.Array(Type.String()),
  user: orNull(Named),
  group: orNull(Named),
  kind: Type.Union([Type.Literal('user'), Type.Literal('group')]),
  created_at: Type.String({ description: 'ISO 8601, UTC' }),
});

export const ShareCodeModel = Type.Object({
  server: SharedServerModel,
  scopes: Type.Array(Type.String()),
  id: Type.String({ description: '`sc_<n>`' }),
  created_at: Type.String(),
  expires_at: Type.String(),
  exchange_count: Type.Integer(),
  last_exchanged_at: orNull(Type.String()),
  code: Type.Optional(Type.String({ description: 'the code itself: only in the answer that made it' })),
  accept_url: Type.Optional(Type.String()),
  full_accept_url: Type.Optional(orNull(Type.String())),
});

const Scopes = Type.Optional(orNull(Type.Array(Type.String())));

export const ShareRequest = Type.Object(
  { user: Type.Optional(orNull(Type.String())), group: Type.Optional(orNull(Type.String())), scopes: Scopes },
  { additionalProperties: false },
);

export const ShareCodeRequest = Type.Object(
  {
    scopes: Scopes,
    expires_in: Type.Optional(
      Type.Integer({ minimum: 60, maximum: 365 * 24 * 3600, description: 'seconds, 60 to one year (default a day)' }),
    ),
  },
  { additionalProperties: false },
);
