// What token-holding integrations (slash commands, outgoing webhooks) share: their list entries'
// Regenerate Token, Edit and Delete (the first and last asked in a dialog), saving an add or an
// edit, and the confirmation page that shows the token after an add.
import React, { useState, type ReactNode } from 'react';
import { post, put } from './client';
import { Button, ConfirmCard, CopyValue, Dialog, ErrorBanner, useAction, useLoad } from './components';
import { Crumbs } from './layout';
import { Link, navigate } from './router';

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

/** A list entry's actions; `name` tells them apart for assistive technology ("Edit /weather"). */
export function TokenItemActions<T>({ item, name, editTo, confirm }: { item: T; name: string; editTo: string; confirm: ItemConfirm<T> }) {
  return (
    <div className="item-actions">
      <Button kind="link" onClick={() => confirm.ask('regen', item)} aria-label={`Regenerate the token of ${name}`}>
        Regenerate Token
      </Button>
      <Link to={editTo} aria-label={`Edit ${name}`}>
        Edit
      </Link>
      <Button kind="link" className="danger-link" onClick={() => confirm.ask('delete', item)} aria-label={`Delete ${name}`}>
        Delete
      </Button>
    </div>
  );
}

/**
 * Saves an add or an edit of the integration at `api`: an edit (a PUT of the whole, as Mattermost's
 * clients send it) goes back to the list; an add goes to the confirmation of `type`, which finds the
 * new item, token and all, in `justSaved`.
 */
export async function saveTokenItem<T extends { id: string }>({ api, body, existing, justSaved, team, listTo, type }: {
  api: string; body: object; existing?: T; justSaved: Map<string, T>; team: string; listTo: string; type: string;
}): Promise<void> {
  if (existing) {
    await put<T>(`${api}/${existing.id}`, { ...existing, ...body });
    navigate(listTo);
  } else {
    const created = await post<T>(api, body);
    justSaved.set(created.id, created);
    navigate(`/${team}/integrations/confirm?type=${type}&id=${created.id}`);
  }
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
