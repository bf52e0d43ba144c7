// What changes groups: every caller (API, start-up) goes through these.
export { createGroups } from './create.ts';
export { deleteGroup } from './delete.ts';
export { changeMembers } from './members.ts';
export { setProperties } from './properties.ts';
export { checkGroupName } from './rules.ts';
export { syncGroupsFromIdp } from './sync-from-idp.ts';
