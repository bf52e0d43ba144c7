import { HubError } from './hub-error.ts';

/** 400 for a user_options value the profile list does not allow; `field` names the key at fault. */
export const invalidUserOption = (field: string, message: string) =>
  new HubError(400, message, 'invalid_user_option', { extra: { field } });
