// An integration for the channel view's browser tests, on 127.0.0.1, answering by path as a real one
// would: an outgoing webhook's callback that answers with an attachment and two buttons, the buttons'
// action URLs (one updates the post and sends an ephemeral text, one opens a dialog with the trigger
// id it got), the dialog's submission URL (which refuses some values), a slash command, and a token
// endpoint that refuses every client.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface IntegrationRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The body: JSON parsed, or a form's fields. */
  body: Record<string, unknown>;
}

export interface Integration {
  /** e.g. "http://127.0.0.1:41234" */
  url: string;
  requests: IntegrationRequest[];
  requestsTo(path: string): IntegrationRequest[];
  /** The chat server, which /open-dialog asks to open the dialog. */
  serverUrl: string;
  /** What the last /open-dialog call got from the chat server. */
  lastOpen: { status: number; body: string } | null;
  close(): Promise<void>;
}

/** The dialog /open-dialog opens (Mattermost's Dialog). */
export const DEPLOY_DIALOG = {
  callback_id: 'deploy-form',
  title: 'Deploy',
  introduction_text: 'Which build goes where?',
  submit_label: 'Deploy',
  notify_on_cancel: true,
  state: 'from-the-button',
  elements: [
    { display_name: 'Environment', name: 'environment', type: 'select', options: [{ text: 'Staging', value: 'staging' }, { text: 'Production', value: 'production' }] },
    { display_name: 'Version', name: 'version', type: 'text', placeholder: 'v1.2.3', help_text: 'The release tag to deploy.' },
    { display_name: 'Notes', name: 'notes', type: 'textarea', optional: true },
    { display_name: 'Notify', name: 'notify', type: 'bool', placeholder: 'Tell the channel when it is done', optional: true, default: 'true' },
  ],
};

/** What /dialog answers: a field error for a version that is no tag, a general error for production, else nothing. */
export const VERSION_ERROR = 'Use a release tag such as v1.2.3.';
export const FROZEN_ERROR = 'Production deploys are frozen today.';

function dialogAnswer(submission: Record<string, unknown>): Record<string, unknown> {
  if (!/^v\d+\.\d+\.\d+$/.test(String(submission.version ?? ''))) return { errors: { version: VERSION_ERROR } };
  if (submission.environment === 'production') return { error: FROZEN_ERROR };
  return {};
}

function parseBody(raw: string, contentType: string): Record<string, unknown> {
  if (contentType.startsWith('application/json')) {
    try {
      return JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return {};
    }
  }
  return Object.fromEntries(new URLSearchParams(raw));
}

export async function startIntegration(): Promise<Integration> {
  const requests: IntegrationRequest[] = [];
  const integration: Integration = {
    url: '', requests, serverUrl: '', lastOpen: null,
    requestsTo: (path) => requests.filter((r) => r.path === path),
    close: async () => undefined,
  };

  /** Answers /open-dialog once the chat server has answered the open request (a failure is a 500, which the user sees). */
  async function openDialog(triggerId: string): Promise<number> {
    const res = await fetch(`${integration.serverUrl}/api/v4/actions/dialogs/open`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ trigger_id: triggerId, url: `${integration.url}/dialog`, dialog: DEPLOY_DIALOG }),
    });
    integration.lastOpen = { status: res.status, body: await res.text() };
    return res.status === 200 ? 200 : 500;
  }

  const answer = async (path: string, body: Record<string, unknown>): Promise<[number, unknown]> => {
    switch (path) {
      case '/hook':
        return [200, {
          text: `Deploying ${String(body.text).split(/\s+/).slice(1).join(' ')}?`,
          username: 'deploy-bot',
          attachments: [{
            color: 'warning', title: 'Release', text: 'Approve it, or choose where it goes.',
            actions: [
              { name: 'Approve', integration: { url: `${integration.url}/approve`, context: { step: 'approve' } } },
              { name: 'Choose…', integration: { url: `${integration.url}/open-dialog` } },
            ],
          }],
        }];
      case '/approve':
        return [200, {
          update: { message: `Deploy approved by @${String(body.user_name)}`, props: { attachments: [{ color: 'good', text: 'Approved.' }] } },
          ephemeral_text: 'You approved the deploy.',
        }];
      case '/open-dialog':
        return [await openDialog(String(body.trigger_id)), {}];
      case '/dialog':
        return [200, body.cancelled === true ? {} : dialogAnswer((body.submission ?? {}) as Record<string, unknown>)];
      case '/command':
        return [200, { response_type: 'ephemeral', text: 'Only you can see this answer.' }];
      case '/token':
        return [401, { error: 'invalid_client', error_description: 'unknown client' }];
      default:
        return [404, { error: 'no such path' }];
    }
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://integration').pathname;
      const body = parseBody(Buffer.concat(chunks).toString('utf8'), req.headers['content-type'] ?? '');
      requests.push({ path, headers: req.headers, body });
      void answer(path, body).then(([status, value]) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(value));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  integration.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  integration.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return integration;
}
