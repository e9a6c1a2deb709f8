import { Type } from '@sinclair/typebox';

export const AuthSection = Type.Object(
  {
    apiKeys: Type.Array(Type.String({ minLength: 8 }), {
      default: [],
      description: 'Accepted API keys (env DUET_API_KEYS, comma separated). Empty: no auth.',
    }),
  },
  { additionalProperties: false, default: {} },
);
