// What the lists of token-holding integrations (slash commands, outgoing webhooks) share: Delete and
// Regenerate Token asked in a dialog, and the confirmation page that shows the token after an add.
import React, { useState, type ReactNode } from 'react';
import { ConfirmCard, CopyValue, Dialog, ErrorBanner, useAction, useLoad } from './components';
import { Crumbs } from './layout';
import { navigate } from './router';

export type ItemAction = 'delete' | 'regen';

export interface ItemConfirm<T> {
  /** The action being asked about, and its item; null while no dialog is open. */
  pending: { kind: ItemAction; item: T } | null;
  ask: (kind: ItemAction, item: T) => void;
  confirm: () => void;
  cancel: () => void;
  busy: boolean;
  error: string;
}

/**
 * A list's Delete and Regenerate Token confirmations: `ask(kind, item)` opens the dialog; confirming
 * runs `perform`, then `done` (a reload); a refusal stays in the dialog with the server's message.
 */
export function useItemConfirm<T>(perform: (kind: ItemAction, item: T) => Promise<unknown>, done: () => void): ItemConfirm<T> {
  const [pending, setPending] = useState<{ kind: ItemAction; item: T } | null>(null);
  const { busy, error, setError, run } = useAction();
  const confirm = () =>
    void run(async () => {
      if (!pending) return;
      await perform(pending.kind, pending.item);
      setPending(null);
      done();
    });
  const cancel = () => {
    setPending(null);
    setError('');
  };
  return { pending, ask: (kind, item) => setPending({ kind, item }), confirm, cancel, busy, error };
}

/** The dialog of useItemConfirm: "Delete <what>" or "Regenerate Token", and what it means for `item`. */
export function ItemConfirmDialog<T>({ state, what, children }: { state: ItemConfirm<T>; what: string; children: (kind: ItemAction, item: T) => ReactNode }) {
  const { pending } = state;
  if (!pending) return null;
  const deleting = pending.kind === 'delete';
  return (
    <Dialog
      title={deleting ? `Delete ${what}` : 'Regenerate Token'}
      confirm={deleting ? 'Delete' : 'Regenerate Token'}
      confirmKind={deleting ? 'danger' : 'primary'}
      busy={state.busy}
      busyText={deleting ? 'Deleting…' : 'Regenerating…'}
      error={state.error}
      onConfirm={state.confirm}
      onCancel={state.cancel}
    >
      <p>{children(pending.kind, pending.item)}</p>
    </Dialog>
  );
}

/**
 * Mattermost's confirmation after an add ("Setup Successful"): what the token is for, and the token
 * (from the save, or asked again when the page was reloaded).
 */
export function TokenConfirmation({ parent, listTo, loadToken, children }: { parent: string; listTo: string; loadToken: () => Promise<string>; children: ReactNode }) {
  const [token] = useLoad(loadToken, []);
  return (
    <>
      <Crumbs parent={parent} to={listTo} current="Add" />
      <ConfirmCard title="Setup Successful" onDone={() => navigate(listTo)}>
        <p>{children}</p>
        {token.state === 'ready' && (
          <dl className="details details-wide">
            <dt>Token:</dt>
            <dd>
              <CopyValue value={token.data} label="Copy the Token" id="token" />
            </dd>
          </dl>
        )}
        {token.state === 'error' && <ErrorBanner>{token.error}</ErrorBanner>}
      </ConfirmCard>
    </>
  );
}
