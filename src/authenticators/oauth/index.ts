// Login through an OAuth 2.0 / OpenID Connect identity provider (authenticator.class: oauth), on openid-client.
export { type Admission, admit, groupsOf, type Identity, usernameOf } from './admission.ts';
export { beginLogin, finishLogin, logoutUrl } from './flow.ts';
export { clearFlowCookie, type CookieScope, flowCookie, type FlowState, readFlow } from './flow-state.ts';
export { refreshLogin } from './refresh.ts';
export { authStateOf, type ProviderLogin, type ProviderTokens } from './tokens.ts';
