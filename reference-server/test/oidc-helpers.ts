// What the tests' oidc-provider servers (apps-oauth2-helpers.ts, outgoing-helpers.ts) have in
// common once they listen: RFC 7662 introspection as a client of theirs, and shutting down.
import type http from 'node:http';

/** A client of an oidc-provider server, authenticating with `client_secret_post`. */
export interface OidcClient {
  client_id: string;
  client_secret: string;
}

export interface OidcEndpoints {
  /** RFC 7662 introspection, authenticated as the client the token was issued to. */
  introspect(client: OidcClient, token: string): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

/** Introspection at the oidc-provider issuer `url`, and `close` for the http.Server it runs on. */
export function oidcEndpoints(url: string, server: http.Server): OidcEndpoints {
  return {
    async introspect(client, token) {
      const res = await fetch(`${url}/token/introspection`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token, client_id: client.client_id, client_secret: client.client_secret }),
      });
      if (res.status !== 200) throw new Error(`introspection answered ${res.status}: ${await res.text()}`);
      return (await res.json()) as Record<string, unknown>;
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
