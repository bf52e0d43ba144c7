export { connect, type Db, type DbTarget } from './connect.ts';
export { migrateToLatest } from './migrate.ts';
export type { DbKind } from './kind.ts';
export type * from './tables.ts';
