// Starts the host from the environment (Mattermost's MM_* variables) and stops it cleanly on a signal.
import { createServer } from './server.js';

async function main(): Promise<void> {
  const server = await createServer();
  const siteUrl = server.services.config.service.SiteURL;
  process.stdout.write(`
oauth-plugin reference server listening on ${server.url} (SiteURL ${siteUrl}); plugin ${server.services.plugin.state}.

Create the first user (it becomes the system admin), then log in:
  curl -X POST ${server.url}/api/v4/users -d '{"username":"admin","email":"admin@example.com","password":"choose-a-long-password"}'
  curl -i -X POST ${server.url}/api/v4/users/login -d '{"login_id":"admin","password":"choose-a-long-password"}'
The Token response header is the session token: send it as "Authorization: Bearer <token>".

`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal}: shutting down\n`);
    server.close().then(() => process.exit(0), (err) => {
      console.error('shutdown failed:', err instanceof Error ? err.message : err);
      process.exit(1);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err) => {
  console.error(`oauth-plugin host failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
