import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

const PUBLIC_DIR = fileURLToPath(new URL('../public/', import.meta.url));
const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

/** The browser page (server/public): its .html/.js/.css files, read once at start. */
export function registerStaticPage(app: FastifyInstance): void {
  const files = new Map<string, { body: Buffer; type: string }>();
  const names = existsSync(PUBLIC_DIR) ? readdirSync(PUBLIC_DIR).filter((n) => /^[\w-]+\.(html|js|css)$/.test(n)) : [];
  for (const name of names) files.set(name, { body: readFileSync(PUBLIC_DIR + name), type: TYPES[name.slice(name.lastIndexOf('.'))]! });
  app.get('/', async (_req, reply) => {
    const page = files.get('index.html');
    if (!page) return reply.code(404).send({ error: 'no page bundled' });
    return reply.type(page.type).send(page.body);
  });
  app.get<{ Params: { name: string } }>('/static/:name', async (req, reply) => {
    const file = files.get(req.params.name);
    if (!file) return reply.code(404).send({ error: 'not found' });
    return reply.type(file.type).send(file.body);
  });
}
