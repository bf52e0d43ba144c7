import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { anonymousXsrfValid, setXsrfCookie, xsrfTokenFor } from '../auth/xsrf.ts';
import { SYSTEM_CALLER } from '../commands/deps.ts';
import type { TotpEnrollment } from '../auth/totp.ts';
import { type SignUpResult, signUp } from '../commands/users/index.ts';
import type { HubContext } from '../context.ts';
import { HubError } from '../errors/index.ts';
import { field } from './forms.ts';
import { renderPage } from './html.ts';

function signupForm(
  ctx: HubContext,
  req: FastifyRequest,
  reply: FastifyReply,
  status: number,
  opts: { error?: string; done?: string; username?: string; totp?: TotpEnrollment | null },
): FastifyReply {
  const token = xsrfTokenFor(ctx, req, null);
  setXsrfCookie(ctx, reply, token, true);
  return renderPage(
    reply,
    status,
    'signup.html',
    { baseUrl: ctx.baseUrl },
    {
      signup_url: `${ctx.baseUrl}hub/signup`,
      login_url: `${ctx.baseUrl}hub/login`,
      signup_error: opts.error ?? '',
      signup_done: opts.done ?? '',
      username: opts.username ?? '',
      totp: opts.totp ?? null,
      two_factor_auth: ctx.config.authenticator.allow_2fa,
      minimum_password_length: ctx.config.authenticator.minimum_password_length,
      xsrf: token,
    },
  );
}

/**
 * Self-service accounts for the password authenticator, only with `authenticator.enable_signup`
 * (off by default): a new name and a password; an account with a password is never taken over here
 * (see signUp), and blocked_users / allowed_users / allow_all apply as at login. Unless open_signup, it waits for
 * an admin on /hub/authorize. With allow_2fa, a second factor can be asked for: its secret is shown once.
 */
export function registerSignupPage(app: FastifyInstance<any, any, any, any, any>, ctx: HubContext): void {
  const a = ctx.config.authenticator;
  if (a.class !== 'password' || !a.enable_signup) return;
  const path = `${ctx.baseUrl}hub/signup`;
  const hide = { schema: { hide: true } };

  app.get(path, hide, async (req, reply) => signupForm(ctx, req, reply, 200, {}));

  app.post(path, hide, async (req, reply) => {
    const username = field(req.body, 'username')?.trim() ?? '';
    const password = field(req.body, 'password') ?? '';
    if (!anonymousXsrfValid(ctx, req, field(req.body, '_xsrf'))) {
      return signupForm(ctx, req, reply, 403, {
        error: 'This form has expired or was not sent by this site (XSRF check failed). Please try again.',
        username,
      });
    }
    if (password !== (field(req.body, 'password_confirm') ?? ''))
      return signupForm(ctx, req, reply, 400, { error: 'The two passwords differ.', username });
    let result: SignUpResult;
    try {
      result = await signUp(ctx, SYSTEM_CALLER, {
        name: username,
        password,
        twoFactor: field(req.body, '2fa') === 'on',
      });
    } catch (err) {
      // One answer for "taken" (a concurrent sign-up's insert fails too) and "not allowed", so the form
      // does not reveal who has an account.
      const reason = err instanceof HubError ? err.reason : null;
      const error =
        reason === 'invalid_username'
          ? 'That username is not allowed here.'
          : reason === 'invalid_request'
            ? (err as HubError).message
            : 'That username cannot be registered.';
      return signupForm(ctx, req, reply, 400, { error, username });
    }
    const { name, pending, totp } = result;
    req.log.info({ user: name, pending }, 'user signed up');
    const done = pending
      ? `The account ${name} was created and waits for an administrator's approval; you can sign in once it is approved.`
      : `The account ${name} was created. You can sign in now.`;
    return signupForm(ctx, req, reply, pending ? 202 : 201, { done, totp });
  });
}
