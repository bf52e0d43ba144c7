import type { FastifyInstance } from 'fastify';
import type { HubContext } from '../context.ts';
import { registerOAuth } from '../oauth/index.ts';
import { registerAcceptSharePage } from './accept-share.ts';
import { registerAdminPage } from './admin.ts';
import { registerAuthorizePages } from './authorize.ts';
import { registerChangePasswordPages } from './change-password.ts';
import { registerTwoFactorPage } from './two-factor.ts';
import { registerCspReport } from './csp-report.ts';
import { registerDevicePage } from './device.ts';
import { registerFormParser } from './forms.ts';
import { registerHomePage } from './home.ts';
import { registerLoginPages } from './login.ts';
import { registerLogo } from './logo.ts';
import { registerOAuthLogin } from './oauth-login.ts';
import { registerSignupPage } from './signup.ts';
import { registerProxyErrorPage } from './proxy-errors.ts';
import { registerSpawnPages } from './spawn.ts';
import { attachTemplates, createTemplates, registerStatic } from './templates.ts';
import { registerTokenPage } from './token.ts';
import { registerUserRedirect } from './user-redirect.ts';
import { registerUserUrls } from './user-urls.ts';

/**
 * Registers the pages (from nunjucks templates), their static files and the OAuth provider in their own
 * Fastify context, where form bodies are parsed as forms. Await it: the routes exist only once the plugin
 * has loaded.
 */
export async function registerWeb(app: FastifyInstance<any, any, any, any, any>, ctx: HubContext): Promise<void> {
  // template_paths first, then the built-in templates; relative paths resolve like other config paths.
  const templates = createTemplates(`${ctx.baseUrl}hub/`, ctx.config.template_paths, ctx.stateDir, {
    templateVars: ctx.config.template_vars,
    logo: ctx.config.logo_file !== '',
  });
  await app.register(async (child) => {
    attachTemplates(child, templates);
    registerFormParser(child);
    registerStatic(child, `${ctx.baseUrl}hub/`, templates);
    registerLogo(child, ctx);
    registerLoginPages(child, ctx);
    registerOAuthLogin(child, ctx);
    registerSignupPage(child, ctx);
    registerAuthorizePages(child, ctx);
    registerChangePasswordPages(child, ctx);
    registerTwoFactorPage(child, ctx);
    registerHomePage(child, ctx);
    registerSpawnPages(child, ctx);
    registerTokenPage(child, ctx);
    registerAcceptSharePage(child, ctx);
    registerDevicePage(child, ctx);
    registerAdminPage(child, ctx);
    registerUserUrls(child, ctx);
    registerUserRedirect(child, ctx);
    registerProxyErrorPage(child, ctx);
    registerCspReport(child, ctx);
    registerOAuth(child, ctx);
  });
}
