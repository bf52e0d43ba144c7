import type { Kysely, CreateTableBuilder } from 'kysely';
import type { DbKind } from '../kind.ts';

// Migrations are written against an untyped Kysely: they describe history, not today's table types.
type AnyDb = Kysely<any>;

function withId<T extends string>(kind: DbKind, table: CreateTableBuilder<T, never>): CreateTableBuilder<T, 'id'> {
  return table.addColumn('id', 'integer', (col) =>
    kind === 'sqlite' ? col.primaryKey().autoIncrement() : col.primaryKey().generatedByDefaultAsIdentity(),
  );
}

export function initial(kind: DbKind) {
  return {
    async up(db: AnyDb): Promise<void> {
      await withId(kind, db.schema.createTable('users'))
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('admin', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created', 'text', (c) => c.notNull())
        .addColumn('last_activity', 'text')
        .addColumn('auth_state', 'text')
        .addColumn('cookie_id', 'text', (c) => c.notNull().unique())
        .execute();

      await withId(kind, db.schema.createTable('groups'))
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('properties', 'text', (c) => c.notNull().defaultTo('{}'))
        .execute();

      await db.schema
        .createTable('user_group_map')
        .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('group_id', 'integer', (c) => c.notNull().references('groups.id').onDelete('cascade'))
        .addPrimaryKeyConstraint('user_group_map_pk', ['user_id', 'group_id'])
        .execute();
      await db.schema.createIndex('user_group_map_group').on('user_group_map').column('group_id').execute();

      await withId(kind, db.schema.createTable('roles'))
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('description', 'text')
        .addColumn('scopes', 'text', (c) => c.notNull().defaultTo('[]'))
        .execute();

      await withId(kind, db.schema.createTable('services'))
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('admin', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('url', 'text')
        .addColumn('oauth_client_id', 'text')
        .addColumn('info', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('display', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('from_config', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created', 'text', (c) => c.notNull())
        .execute();

      for (const [table, owner, ownerTable] of [
        ['user_role_map', 'user_id', 'users'],
        ['group_role_map', 'group_id', 'groups'],
        ['service_role_map', 'service_id', 'services'],
      ] as const) {
        await db.schema
          .createTable(table)
          .addColumn(owner, 'integer', (c) => c.notNull().references(`${ownerTable}.id`).onDelete('cascade'))
          .addColumn('role_id', 'integer', (c) => c.notNull().references('roles.id').onDelete('cascade'))
          .addPrimaryKeyConstraint(`${table}_pk`, [owner, 'role_id'])
          .execute();
        await db.schema.createIndex(`${table}_role`).on(table).column('role_id').execute();
      }

      await withId(kind, db.schema.createTable('api_tokens'))
        .addColumn('hashed', 'text', (c) => c.notNull().unique())
        .addColumn('prefix', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('user_id', 'integer', (c) => c.references('users.id').onDelete('cascade'))
        .addColumn('service_id', 'integer', (c) => c.references('services.id').onDelete('cascade'))
        .addColumn('client_id', 'text', (c) => c.notNull().defaultTo('jupyterhub'))
        .addColumn('session_id', 'text')
        .addColumn('note', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('scopes', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('created', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text')
        .addColumn('last_activity', 'text')
        .addColumn('last_used_ip', 'text')
        .addColumn('revoked_at', 'text')
        .addColumn('rotated_from', 'integer')
        .addColumn('replaced_by', 'integer')
        .execute();
      await db.schema.createIndex('api_tokens_user').on('api_tokens').columns(['user_id', 'kind']).execute();
      await db.schema.createIndex('api_tokens_service').on('api_tokens').column('service_id').execute();
      await db.schema.createIndex('api_tokens_prefix').on('api_tokens').column('prefix').execute();
      await db.schema.createIndex('api_tokens_session').on('api_tokens').column('session_id').execute();

      await withId(kind, db.schema.createTable('spawners'))
        .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('display_name', 'text')
        .addColumn('state', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('started', 'text')
        .addColumn('last_activity', 'text')
        .addColumn('user_options', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('server_url', 'text')
        .addColumn('oauth_client_id', 'text')
        .addUniqueConstraint('spawners_user_name', ['user_id', 'name'])
        .execute();

      await withId(kind, db.schema.createTable('oauth_clients'))
        .addColumn('identifier', 'text', (c) => c.notNull().unique())
        .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('secret_hash', 'text')
        .addColumn('redirect_uri', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('allowed_scopes', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('created', 'text', (c) => c.notNull())
        .execute();

      await withId(kind, db.schema.createTable('oauth_codes'))
        .addColumn('client_id', 'text', (c) => c.notNull().references('oauth_clients.identifier').onDelete('cascade'))
        .addColumn('code_hash', 'text', (c) => c.notNull().unique())
        .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('session_id', 'text')
        .addColumn('redirect_uri', 'text', (c) => c.notNull())
        .addColumn('scopes', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('code_challenge', 'text')
        .addColumn('code_challenge_method', 'text')
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('created', 'text', (c) => c.notNull())
        .execute();
    },
    async down(db: AnyDb): Promise<void> {
      for (const t of [
        'oauth_codes',
        'oauth_clients',
        'spawners',
        'api_tokens',
        'service_role_map',
        'group_role_map',
        'user_role_map',
        'services',
        'roles',
        'user_group_map',
        'groups',
        'users',
      ]) {
        await db.schema.dropTable(t).execute();
      }
    },
  };
}
