// Building blocks shared by the pages: loading state, form fields tied to their labels, buttons
// that show progress, dialogs, copy buttons, item lists and app icons. The page chrome is layout.tsx.
import React, { useCallback, useEffect, useId, useRef, useState, type ButtonHTMLAttributes, type FormEvent, type KeyboardEvent, type ReactNode } from 'react';
import { ApiError, currentUser, get, type Team, type User } from './client';
import { Link } from './router';
import { firstError, focusField, type Errors } from './validation';

// ---- Data loading

export type Load<T> = { state: 'loading' } | { state: 'error'; error: string } | { state: 'ready'; data: T };

export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): [Load<T>, () => void, (data: T) => void] {
  const [value, setValue] = useState<Load<T>>({ state: 'loading' });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (data) => live && setValue({ state: 'ready', data }),
      (e: Error) => live && setValue({ state: 'error', error: e.message }),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, round]);
  const reload = useCallback(() => setRound((r) => r + 1), []);
  const set = useCallback((data: T) => setValue({ state: 'ready', data }), []);
  return [value, reload, set];
}

/**
 * An action confirmed in a dialog (delete, regenerate): `busy` while `run(action)` runs, and the
 * message it failed with; `run` clears the error first.
 */
export function useAction(): { busy: boolean; error: string; setError: (error: string) => void; run: (action: () => Promise<void>) => Promise<void> } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError('');
    try {
      await action();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, setError, run };
}

/**
 * A backstage form's state: its values; a field's error, shown once the field was left or the form
 * submitted; and `submit(send)`, which checks first (focus goes to the first field to fix), then
 * runs `send` and shows the server's refusal in place, keeping what was typed.
 */
export function useCheckedForm<F, K extends string>(initial: F, check: (form: F) => Errors<K>, order: K[]) {
  const [form, setForm] = useState<F>(initial);
  const [submitted, setSubmitted] = useState(false);
  const [touched, setTouched] = useState<Partial<Record<K, boolean>>>({});
  const [saving, setSaving] = useState(false);
  const [serverError, setServerError] = useState('');
  const errors = check(form);
  const shownError = (k: K) => (submitted || touched[k] ? errors[k] : undefined);
  const set = <P extends keyof F>(k: P, v: F[P]) => setForm((f) => ({ ...f, [k]: v }));
  const blur = (k: K) => () => setTouched((t) => ({ ...t, [k]: true }));
  const submit = (send: () => Promise<void>) => async (e: FormEvent) => {
    e.preventDefault();
    setSubmitted(true);
    setServerError('');
    const first = firstError(errors, order);
    if (first) return focusField(first);
    setSaving(true);
    try {
      await send();
    } catch (err) {
      setServerError(err instanceof ApiError ? err.message : String(err));
      setSaving(false);
    }
  };
  return { form, set, blur, shownError, saving, serverError, submit };
}

export function useUser(): User | null {
  const [user] = useLoad(currentUser, []);
  return user.state === 'ready' ? user.data : null;
}

const teams = new Map<string, Promise<Team>>();
export function teamByName(name: string): Promise<Team> {
  let found = teams.get(name);
  if (!found) {
    found = get<Team>(`/api/v4/teams/name/${encodeURIComponent(name)}`);
    found.catch(() => teams.delete(name));
    teams.set(name, found);
  }
  return found;
}

export function Spinner({ label }: { label?: string }) {
  return <span className="spinner" role={label ? 'img' : undefined} aria-label={label} aria-hidden={label ? undefined : true} />;
}

/** A placeholder as tall as a short list, so the page does not jump when the data arrives. */
export function Loading({ what }: { what: string }) {
  return (
    <div className="loading" role="status">
      <Spinner /> Loading {what}…
    </div>
  );
}

export function ErrorBanner({ children, id }: { children: ReactNode; id?: string }) {
  return (
    <div className="banner banner-error" role="alert" id={id}>
      {children}
    </div>
  );
}

// ---- Buttons and form fields

export function Button({
  busy, busyText, children, kind = 'primary', ...rest
}: ButtonHTMLAttributes<HTMLButtonElement> & { busy?: boolean; busyText?: string; kind?: 'primary' | 'secondary' | 'tertiary' | 'danger' | 'link' }) {
  return (
    <button type="button" {...rest} className={`btn btn-${kind} ${rest.className ?? ''}`} disabled={busy || rest.disabled} aria-busy={busy || undefined}>
      {busy && <Spinner />}
      {busy && busyText ? busyText : children}
    </button>
  );
}

export interface FieldProps {
  id: string;
  label: string;
  help?: ReactNode;
  error?: string;
  required?: boolean;
  children: (aria: { id: string; 'aria-describedby'?: string; 'aria-invalid'?: boolean; 'aria-required'?: boolean }) => ReactNode;
}

/** A labelled field: the label names the control, help text and error describe it. */
export function Field({ id, label, help, error, required, children }: FieldProps) {
  const describedBy = [error ? `${id}-error` : '', help ? `${id}-help` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field ${error ? 'has-error' : ''}`}>
      <label className={`field-label ${required ? 'required' : ''}`} htmlFor={id} id={`${id}-label`}>
        {label}
      </label>
      <div className="field-control">
        {children({ id, 'aria-describedby': describedBy, 'aria-invalid': error ? true : undefined, 'aria-required': required || undefined })}
        {help && (
          <div className="field-help" id={`${id}-help`}>
            {help}
          </div>
        )}
        <div className="field-error" id={`${id}-error`} aria-live="polite">
          {error}
        </div>
      </div>
    </div>
  );
}

/** The card shown right after an add (or a new secret): a success heading, what to copy, and Done. */
export function ConfirmCard({ title, onDone, children }: { title: string; onDone: () => void; children: ReactNode }) {
  return (
    <div className="confirm-card">
      <h2 className="success">
        <span aria-hidden="true">✓ </span>
        {title}
      </h2>
      {children}
      <div className="form-buttons">
        <Button id="doneButton" onClick={onDone}>
          Done
        </Button>
      </div>
    </div>
  );
}

/** An add/edit form's foot: the server's refusal (next to the buttons), Cancel back to the list, and Save or Update. */
export function FormFooter({ serverError, cancelTo, saveId, saving, editing }: { serverError: string; cancelTo: string; saveId: string; saving: boolean; editing: boolean }) {
  return (
    <div className="form-footer">
      {serverError && <ErrorBanner id="serverError">{serverError}</ErrorBanner>}
      <div className="form-buttons">
        <Link className="btn btn-tertiary" to={cancelTo}>
          Cancel
        </Link>
        <Button type="submit" id={saveId} busy={saving} busyText={editing ? 'Updating…' : 'Saving…'}>
          {editing ? 'Update' : 'Save'}
        </Button>
      </div>
    </div>
  );
}

/** Yes/No radio pair as the backstage shows booleans ("Is Trusted"). */
export function YesNo({ name, label, value, onChange, help }: { name: string; label: string; value: boolean; onChange: (v: boolean) => void; help: ReactNode }) {
  const helpId = `${name}-help`;
  return (
    <fieldset className="field" aria-describedby={helpId}>
      <legend className="field-label">{label}</legend>
      <div className="field-control">
        <div className="radios">
          <label>
            <input type="radio" name={name} id={`${name}_true`} checked={value} onChange={() => onChange(true)} /> Yes
          </label>
          <label>
            <input type="radio" name={name} id={`${name}_false`} checked={!value} onChange={() => onChange(false)} /> No
          </label>
        </div>
        <div className="field-help" id={helpId}>
          {help}
        </div>
      </div>
    </fieldset>
  );
}

export function CopyButton({ value, label }: { value: string; label: string }) {
  const [copied, setCopied] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (copied === 'idle') return;
    const t = setTimeout(() => setCopied('idle'), 2500);
    return () => clearTimeout(t);
  }, [copied]);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied('copied');
    } catch {
      setCopied('failed');
    }
  };
  return (
    <span className="copy">
      <button type="button" className="btn btn-tertiary btn-sm" onClick={copy} aria-label={label}>
        {copied === 'copied' ? 'Copied' : 'Copy'}
      </button>
      <span className="sr-only" aria-live="polite">
        {copied === 'copied' ? 'Copied to the clipboard' : copied === 'failed' ? 'Could not copy: select the text and copy it' : ''}
      </span>
    </span>
  );
}

/** A value to copy: read-only code text and its copy button. */
export function CopyValue({ value, label, id }: { value: string; label: string; id?: string }) {
  return (
    <span className="copy-value">
      <code id={id}>{value}</code>
      <CopyButton value={value} label={label} />
    </span>
  );
}

/** A details entry's list of URLs (callback URLs, audience URLs), one a line. */
export function UrlList({ urls }: { urls: string[] }) {
  return (
    <dd className="wrap">
      {urls.map((u) => (
        <div key={u}>{u}</div>
      ))}
    </dd>
  );
}

// ---- Dialog

/**
 * A modal dialog: Cancel and a confirm button. With `confirmForm`, the confirm button submits the
 * form of that id in the body (so Enter in a field submits too) and `onConfirm` is not used.
 */
export function Dialog({
  title, children, confirm, confirmKind = 'primary', busy, busyText, error, onConfirm, onCancel, confirmId, confirmForm,
}: {
  title: string;
  children: ReactNode;
  confirm: string;
  confirmKind?: 'primary' | 'danger';
  busy?: boolean;
  busyText?: string;
  error?: string;
  onConfirm?: () => void;
  onCancel: () => void;
  confirmId?: string;
  confirmForm?: string;
}) {
  const titleId = useId();
  const bodyId = useId();
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const opener = document.activeElement as HTMLElement | null;
    box.current?.querySelector<HTMLElement>('[data-autofocus]')?.focus();
    return () => opener?.focus();
  }, []);
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Escape' && !busy) {
      e.stopPropagation();
      onCancel();
    }
    if (e.key === 'Tab' && box.current) {
      const focusable = [...box.current.querySelectorAll<HTMLElement>('button:not([disabled]), a[href], input:not([disabled]), select:not([disabled]), textarea:not([disabled])')];
      if (focusable.length === 0) return;
      const first = focusable[0];
      const last = focusable[focusable.length - 1];
      if (e.shiftKey && document.activeElement === first) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && document.activeElement === last) {
        e.preventDefault();
        first.focus();
      }
    }
  };
  return (
    <div className="backdrop" onKeyDown={onKeyDown}>
      <div className="dialog" role="dialog" aria-modal="true" aria-labelledby={titleId} aria-describedby={bodyId} ref={box}>
        <h2 id={titleId}>{title}</h2>
        <div id={bodyId} className="dialog-body">
          {children}
        </div>
        {error && <ErrorBanner>{error}</ErrorBanner>}
        <div className="dialog-actions">
          <Button kind="tertiary" onClick={onCancel} disabled={busy} data-autofocus>
            Cancel
          </Button>
          <Button
            kind={confirmKind}
            type={confirmForm ? 'submit' : 'button'}
            form={confirmForm}
            onClick={confirmForm ? undefined : onConfirm}
            busy={busy}
            busyText={busyText}
            id={confirmId}
          >
            {confirm}
          </Button>
        </div>
      </div>
    </div>
  );
}

/** An app's icon, or its initial when it has none (or the image does not load). */
export function AppIcon({ app }: { app: { name: string; icon_url?: string } }) {
  const [broken, setBroken] = useState(false);
  if (app.icon_url && !broken) return <img className="item-icon" src={app.icon_url} alt="" onError={() => setBroken(true)} />;
  return (
    <span className="item-icon item-icon-letter" aria-hidden="true">
      {(app.name.trim()[0] ?? '?').toUpperCase()}
    </span>
  );
}

/** The backstage's list of items (commands, apps, connections): one `li.item` per item, named for tests. */
export function ItemList<T>({ label, items, keyOf, testId, children }: { label: string; items: T[]; keyOf: (item: T) => string; testId: string; children: (item: T) => ReactNode }) {
  return (
    <ul className="items" aria-label={label}>
      {items.map((item) => (
        <li className="item" key={keyOf(item)} data-testid={testId}>
          {children(item)}
        </li>
      ))}
    </ul>
  );
}

/** A list that could not load (the feature may be off): the error, and for an admin a link to the switch. */
export function ListError({ error, admin }: { error: string; admin: boolean }) {
  return (
    <ErrorBanner>
      {error}
      {admin && (
        <>
          {' '}
          <Link to="/admin_console/integrations/integration_management">Open the System Console</Link>
        </>
      )}
    </ErrorBanner>
  );
}

/** "No permission" page body for someone who reached a page they cannot use. */
export function NoPermission() {
  return <ErrorBanner>You do not have permission to view this page. Ask a System Admin.</ErrorBanner>;
}
