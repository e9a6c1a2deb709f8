// The shape of most raw-client tests: a server, one client past session.created, both closed after.
import { TestClient } from './client.js';
import { startServer, type TestServer } from './server.js';

/** Starts a server with `config`, connects one client, waits for session.created, runs `body`, then closes both. */
export async function withSession(config: Record<string, unknown>, body: (client: TestClient, server: TestServer) => Promise<void>): Promise<void> {
  const server = await startServer(config);
  const client = await TestClient.connect(server.wsUrl);
  try {
    await client.waitFor('session.created');
    await body(client, server);
  } finally {
    client.close();
    await server.stop();
  }
}
