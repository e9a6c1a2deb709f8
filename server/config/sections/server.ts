import { Type } from '@sinclair/typebox';

export const ServerSection = Type.Object(
  {
    host: Type.String({ default: '0.0.0.0', description: 'Interface to listen on (env HOST).' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080, description: 'TCP port (env PORT).' }),
    tls: Type.Union(
      [
        Type.Object(
          {
            certPath: Type.String({ minLength: 1, description: 'PEM certificate file.' }),
            keyPath: Type.String({ minLength: 1, description: 'PEM private key file.' }),
          },
          { additionalProperties: false },
        ),
        Type.Null(),
      ],
      { default: null, description: 'Serve https/wss with this certificate; null for plain http/ws.' },
    ),
    logLevel: Type.Union(
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
      { default: 'info', description: 'pino log level (env LOG_LEVEL).' },
    ),
    readyWithoutModels: Type.Boolean({
      default: false,
      description:
        '/readyz answers 200 even when no chat model can answer, so a load balancer admits model-free sessions (protocol, speech detection, speech output). false: 503 until a generator can answer.',
    }),
    workers: Type.Integer({
      minimum: 0,
      default: 0,
      description:
        'Processes serving sessions on the one port (node cluster; the primary counts `limits.maxSessions` for all, aggregates `/metrics` and drains every worker on SIGTERM). 0: one per available core; 1: a single process. Each worker loads its own copy of the configured models.',
    }),
    shutdownDeadlineMs: Type.Integer({
      minimum: 0,
      default: 10000,
      description: 'On SIGTERM/SIGINT, live sessions get this long to finish their current turn before they are closed and the process exits.',
    }),
  },
  { additionalProperties: false, default: {} },
);
