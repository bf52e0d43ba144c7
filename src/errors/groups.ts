import { HubError } from './hub-error.ts';
import { invalidRequest } from './request.ts';

export const invalidGroupName = (name: string) => invalidRequest(`Invalid group name: ${JSON.stringify(name)}`);

/** 400 naming a member that is not a user (upstream's message); nothing is written when one is unknown. */
export const noSuchMember = (name: string) => invalidRequest(`No such user: ${name}`);

export const groupExists = (name: string) => new HubError(409, `Group ${name} already exists`, 'conflict');
