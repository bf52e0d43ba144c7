// What changes users: every caller (API, pages, start-up, CLI) goes through these.
export { admitUser } from './admit.ts';
export { type PasswordAccountDeps, signUp, type SignUpResult } from './sign-up.ts';
export { approveSignup } from './approve.ts';
export { discardSignup } from './discard.ts';
export { changePassword } from './change-password.ts';
export { enrollTotp } from './enroll-totp.ts';
export { disableTotp } from './disable-totp.ts';
export { blockUser, type BlockOutcome } from './block.ts';
export { createUser, createUsers, type CreateUserInput } from './create.ts';
export { deleteUser, stopServersOf, type UserServerRuntime, type UserServersDeps } from './delete.ts';
export { modifyUser, type UserChanges } from './modify.ts';
export { type AuthStateDeps, loadAuthState, saveAuthState, sealAuthState } from './auth-state.ts';
export { recordProviderLogin, refreshAuth } from './provider-login.ts';
export {
  checkLoginAllowed,
  checkedUsername,
  existingUserAllowed,
  loginAllowed,
  usernamePattern,
} from './rules.ts';
