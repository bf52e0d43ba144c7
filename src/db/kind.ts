export type DbKind = 'sqlite' | 'postgres';
