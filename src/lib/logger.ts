import pino, { type Logger } from 'pino';
import { prettyStream } from './log-pretty.ts';

/** Structured JSON logs; secrets are redacted wherever they might be attached to a log object. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { name: 'tshub' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'headers.authorization',
          'headers.cookie',
          'token',
          '*.token',
          'password',
          '*.password',
          'api_token',
          '*.api_token',
        ],
        censor: '[redacted]',
      },
    },
    destination ?? defaultDestination(),
  );
}

/** JSON for machines; readable lines when a person watches a terminal (TSHUB_LOG_FORMAT=json|pretty overrides). */
function defaultDestination(): pino.DestinationStream {
  const format = process.env.TSHUB_LOG_FORMAT ?? (process.stdout.isTTY ? 'pretty' : 'json');
  return format === 'pretty'
    ? prettyStream(process.stdout, Boolean(process.stdout.isTTY))
    : pino.destination({ dest: 1, sync: false });
}
