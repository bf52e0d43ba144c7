import { Type } from 'typebox';
import type { Static } from 'typebox';
import { bool, int, nullable, section } from './schema-util.ts';

export const ProxySchema = section(
  {
    class: Type.Union([Type.Literal('chp'), Type.Literal('tshub')], {
      default: 'tshub',
      description:
        'Which proxy serves the public URL: tshub (our own, about 4x the throughput) or chp (configurable-http-proxy); both speak the same REST API.',
    }),
    should_start: bool(true, 'Start the proxy as a child process; false connects to one already running at api_url.'),
    api_url: Type.String({
      format: 'tshub-http-url',
      default: 'http://127.0.0.1:8001',
      description: "Where the proxy's REST API listens (for adding and removing routes).",
    }),
    auth_token: nullable(
      Type.String({ minLength: 1 }),
      "Token for the proxy's REST API (CONFIGPROXY_AUTH_TOKEN); null makes a new one when the hub starts the proxy.",
    ),
    check_routes_interval: int(300, "Seconds between checks that the proxy's routes match the hub's.", 1),
  },
  'The proxy in front of the hub and the single-user servers.',
);

export type ProxyConfig = Static<typeof ProxySchema>;
