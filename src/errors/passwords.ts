import { HubError } from './hub-error.ts';
import { notFound } from './request.ts';

// Refusals of the password authenticator's account rules (sign-up approval, password changes).

/** The password is right, but an admin has not approved the sign-up yet (authenticator.open_signup off). */
export const signupPending = (name: string) =>
  new HubError(403, `The account ${name} is waiting for an administrator's approval.`, 'signup_pending');

/** A password change whose "current password" is wrong. */
export const wrongPassword = () => new HubError(403, 'The current password is not correct.', 'wrong_password');

/** Approving or discarding a name that is no waiting sign-up (never was, or already handled). */
export const noSuchSignup = (name: string) => notFound(`No sign-up waiting for approval: ${name}`);
