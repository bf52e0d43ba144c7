// What changes services: the API's runtime services and the config file's (through writeServiceRecords).
export { createService, type ServiceDeps } from './create.ts';
export { deleteService } from './delete.ts';
export { writeServiceRecords } from './records.ts';
export {
  createServiceToken,
  findServiceToken,
  revokeServiceToken,
  rotateServiceToken,
  type ServiceTokenDeps,
} from './tokens.ts';
