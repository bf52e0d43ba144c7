import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isAllowed } from '../auth/authenticators.ts';
import { hashPassword, passwordProblem, storePasswordHash } from '../auth/passwords.ts';
import { normalizeUsername, validateUsername } from '../auth/usernames.ts';
import { anonymousXsrfValid, setXsrfCookie, xsrfTokenFor } from '../auth/xsrf.ts';
import type { HubContext } from '../context.ts';
import { assignDefaultRoles } from '../repo/roles.ts';
import { findUser, insertUser } from '../repo/users.ts';
import { field } from './forms.ts';
import { renderPage } from './html.ts';

function signupForm(
  ctx: HubContext,
  req: FastifyRequest,
  reply: FastifyReply,
  status: number,
  opts: { error?: string; done?: string; username?: string },
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
      xsrf: token,
    },
  );
}

/**
 * Self-service accounts for the password authenticator, only with `authenticator.enable_signup`
 * (off by default): a new name and a password; existing accounts can never be taken over here, and
 * blocked_users / allowed_users / allow_all apply as at login.
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
    const name = normalizeUsername(username);
    const pattern = a.username_pattern ? new RegExp(`^(?:${a.username_pattern})$`) : null;
    if (!validateUsername(name, pattern))
      return signupForm(ctx, req, reply, 400, { error: 'That username is not allowed here.', username });
    if (password !== (field(req.body, 'password_confirm') ?? ''))
      return signupForm(ctx, req, reply, 400, { error: 'The two passwords differ.', username });
    const weak = passwordProblem(password);
    if (weak) return signupForm(ctx, req, reply, 400, { error: weak, username });
    if (!isAllowed(ctx, name) || (await findUser(ctx.k, name))) {
      // One answer for "taken" and "not allowed", so the form does not reveal who has an account.
      return signupForm(ctx, req, reply, 400, { error: 'That username cannot be registered.', username });
    }
    const hash = await hashPassword(password);
    try {
      await ctx.k.transaction().execute(async (trx) => {
        const user = await insertUser(trx, name, false);
        await assignDefaultRoles(trx, user.id, false);
        await storePasswordHash(trx, user.id, hash);
      });
    } catch {
      return signupForm(ctx, req, reply, 400, { error: 'That username cannot be registered.', username });
    }
    req.log.info({ user: name }, 'user signed up');
    return signupForm(ctx, req, reply, 201, { done: `The account ${name} was created. You can sign in now.` });
  });
}
