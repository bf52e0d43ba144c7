import { Type, type Static, type TSchema } from 'typebox';

// Response schemas list every documented key for OpenAPI, but stay open (additionalProperties) because
// models are filtered per caller's scopes and tshub only ever adds keys to JupyterHub's.
const open = { additionalProperties: true } as const;
/**
 * `T or null` as a JSON Schema type list rather than anyOf: the serializer then writes the value
 * directly instead of running a validator per field to pick a branch (a large share of a listing's cost).
 */
const Nullable = <T extends TSchema>(t: T) => {
  const { type } = t as unknown as { type?: string };
  return type && type !== 'object' && type !== 'array'
    ? Type.Unsafe<Static<T> | null>({ ...t, type: [type, 'null'] })
    : Type.Union([t, Type.Null()]);
};
const Timestamp = Nullable(Type.String({ description: 'ISO 8601, UTC' }));
const AnyObject = Type.Object({}, open);

export const ErrorModel = Type.Object(
  {
    status: Type.Integer(),
    message: Type.String(),
    reason: Type.Optional(
      Type.String({ description: 'tshub: machine-readable cause, e.g. token_expired, insufficient_scope' }),
    ),
    required_scopes: Type.Optional(Type.Array(Type.String())),
  },
  open,
);

export const ServerModel = Type.Object(
  {
    name: Type.String(),
    full_name: Type.String(),
    display_name: Type.String(),
    ready: Type.Boolean(),
    stopped: Type.Boolean(),
    pending: Nullable(Type.String()),
    url: Type.String(),
    progress_url: Type.String(),
    full_url: Nullable(Type.String()),
    full_progress_url: Nullable(Type.String()),
    started: Timestamp,
    last_activity: Timestamp,
    user_options: AnyObject,
    state: Type.Optional(AnyObject),
  },
  open,
);

export const UserModel = Type.Object(
  {
    kind: Type.Literal('user'),
    name: Type.String(),
    admin: Type.Optional(Type.Boolean()),
    roles: Type.Optional(Type.Array(Type.String())),
    groups: Type.Optional(Type.Array(Type.String())),
    server: Type.Optional(Nullable(Type.String())),
    pending: Type.Optional(Nullable(Type.String())),
    created: Type.Optional(Timestamp),
    last_activity: Type.Optional(Timestamp),
    auth_state: Type.Optional(Type.Unknown()),
    user_info: Type.Optional(Type.Unknown()),
    servers: Type.Optional(Type.Record(Type.String(), ServerModel)),
  },
  open,
);

export const GroupModel = Type.Object(
  {
    kind: Type.Literal('group'),
    name: Type.String(),
    users: Type.Optional(Type.Array(Type.String())),
    properties: Type.Optional(AnyObject),
    roles: Type.Optional(Type.Array(Type.String())),
  },
  open,
);

export const ServiceModel = Type.Object(
  {
    kind: Type.Literal('service'),
    name: Type.String(),
    admin: Type.Optional(Type.Boolean()),
    roles: Type.Optional(Type.Array(Type.String())),
    url: Type.Optional(Nullable(Type.String())),
    prefix: Type.Optional(Nullable(Type.String())),
    command: Type.Optional(Nullable(Type.Array(Type.String()))),
    pid: Type.Optional(Nullable(Type.Integer())),
    info: Type.Optional(AnyObject),
    display: Type.Optional(Type.Boolean()),
  },
  open,
);

export const TokenModel = Type.Object(
  {
    id: Type.String({ description: '`a<number>`' }),
    kind: Type.Literal('api_token'),
    user: Type.Optional(Type.String()),
    service: Type.Optional(Type.String()),
    roles: Type.Array(Type.String()),
    scopes: Type.Array(Type.String()),
    note: Type.String(),
    created: Type.String(),
    expires_at: Timestamp,
    last_activity: Timestamp,
    session_id: Nullable(Type.String()),
    oauth_client: Type.String(),
    prefix: Type.Optional(Type.String({ description: 'tshub: the first characters of the token, to recognise it' })),
    last_used_ip: Type.Optional(Nullable(Type.String())),
    revoked_at: Type.Optional(Timestamp),
    rotated_from: Type.Optional(Nullable(Type.String())),
    allowed_cidrs: Type.Optional(Type.Array(Type.String(), { description: 'tshub: binding; [] is anywhere' })),
    not_before: Type.Optional(Nullable(Type.String({ description: 'tshub: binding; refused before this time' }))),
    token: Type.Optional(Type.String({ description: 'Only in the reply that creates the token' })),
  },
  open,
);

export const Pagination = Type.Object({
  offset: Type.Integer(),
  limit: Type.Integer(),
  total: Type.Integer(),
  next: Nullable(Type.Object({ offset: Type.Integer(), limit: Type.Integer(), url: Type.String() })),
});

/** A list, or `{items, _pagination}` when the client sends the pagination Accept header. */
export const MaybePaginated = <T extends TSchema>(item: T) =>
  Type.Union([Type.Array(item), Type.Object({ items: Type.Array(item), _pagination: Pagination })]);

export const PaginationQuery = {
  offset: Type.Optional(Type.String({ description: 'integer, default 0' })),
  limit: Type.Optional(Type.String({ description: 'integer, capped at api_page_max_limit' })),
};

export const errorResponses = { 400: ErrorModel, 403: ErrorModel, 404: ErrorModel, 409: ErrorModel } as const;
export const NoContent = Type.Null({ description: 'No content' });

const ignored = (t: TSchema) =>
  Type.Optional({ ...t, description: 'Accepted (type-checked) for compatibility with JupyterHub, and ignored.' });

/** Keys JupyterHub's user-model check accepts in create bodies although create uses only `admin`. */
export const IgnoredUserKeys = {
  name: ignored(Type.String()),
  groups: ignored(Type.Array(Type.Unknown())),
  roles: ignored(Type.Array(Type.Unknown())),
  auth_state: ignored(AnyObject),
};

/** Keys JupyterHub's group-model check accepts in group bodies besides `users`. */
export const IgnoredGroupKeys = {
  name: ignored(Type.String()),
  roles: ignored(Type.Array(Type.Unknown())),
};
