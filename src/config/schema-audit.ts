import type { Static } from 'typebox';
import { bool, int, section } from './schema-util.ts';

export const AuditSchema = section(
  {
    enabled: bool(
      true,
      'Record security-relevant events (logins, tokens, users, groups, roles, servers) in the hash-chained audit log.',
    ),
    retention_days: int(
      365,
      'Days an audit record is kept before it is pruned (0 = keep forever); the chain stays verifiable after pruning.',
    ),
  },
  'The audit log (GET /hub/api/audit, `tshub audit export` and `tshub audit verify`).',
);

export type AuditConfig = Static<typeof AuditSchema>;
