export { AuditRecorder } from './recorder.ts';
export {
  SYSTEM,
  serverTarget,
  tokenTarget,
  userTarget,
  type AuditActor,
  type AuditEvent,
  type AuditOrigin,
  type AuditSink,
  type AuditTarget,
} from './event.ts';
export { actorOf, originOf, userActor } from './origin.ts';
export { presentAudit } from './present.ts';
export { rateLimitEvent } from './rate-limit.ts';
export { listAudit, parseAuditFilter, type AuditQuery } from './query.ts';
export { recordsInOrder } from './store.ts';
export { verifyChain, type Verdict } from './verify.ts';
