// An integration's interactive dialog (Mattermost's open_dialog): its elements as a form in a modal.
// Submit sends the values to POST /api/v4/actions/dialogs/submit; the integration's answer may
// refuse with errors by field (shown under each field) or a general error; an empty answer closes it.
import React, { useId, useState, type FormEvent } from 'react';
import { ApiError, post, type DialogElement, type DialogSubmitResponse, type OpenDialogRequest } from '../../client';
import { Dialog, Field } from '../../components';

type Value = string | boolean;

/** Mattermost's defaults when an element sets no max_length. */
const MAX_LENGTH = { text: 150, textarea: 3000 } as const;

const elementsOf = (request: OpenDialogRequest) => request.dialog.elements ?? [];

function initialValues(elements: DialogElement[]): Record<string, Value> {
  return Object.fromEntries(elements.map((e) => [e.name, e.type === 'bool' ? e.default === 'true' : (e.default ?? '')]));
}

/** What Mattermost's webapp checks before sending (the integration checks again). */
function elementError(e: DialogElement, value: Value): string | undefined {
  if (e.type === 'bool') return !e.optional && value !== true ? 'This field is required.' : undefined;
  const text = String(value);
  if (!text.trim()) return e.optional ? undefined : 'This field is required.';
  if (e.type === 'select' || e.type === 'radio') return (e.options ?? []).some((o) => o.value === text) ? undefined : 'Must be one of the options.';
  if (e.min_length && [...text].length < e.min_length) return `Must be at least ${e.min_length} characters.`;
  if (e.subtype === 'number' && !Number.isFinite(Number(text))) return 'Must be a number.';
  if (e.subtype === 'email' && !/^[^\s@]+@[^\s@]+$/.test(text)) return 'Must be a valid email address.';
  return undefined;
}

/** The submission: numbers as numbers, booleans as booleans, empty optional fields left out. */
function submission(elements: DialogElement[], values: Record<string, Value>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const e of elements) {
    const value = values[e.name];
    if (e.type === 'bool') out[e.name] = value === true;
    else if (String(value).trim() === '') continue;
    else out[e.name] = e.subtype === 'number' ? Number(value) : value;
  }
  return out;
}

const SUBMIT = '/api/v4/actions/dialogs/submit';

export function InteractiveDialog({ request, channelId, teamId, onClose }: { request: OpenDialogRequest; channelId: string; teamId: string; onClose: () => void }) {
  const { dialog, url } = request;
  const elements = elementsOf(request);
  const formId = useId();
  const [values, setValues] = useState(() => initialValues(elements));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [general, setGeneral] = useState('');
  const [busy, setBusy] = useState(false);
  const base = { url, callback_id: dialog.callback_id ?? '', state: dialog.state ?? '', channel_id: channelId, team_id: teamId };

  const submit = async (ev: FormEvent) => {
    ev.preventDefault();
    const mine = Object.fromEntries(elements.map((e) => [e.name, elementError(e, values[e.name])]).filter(([, m]) => m)) as Record<string, string>;
    setErrors(mine);
    setGeneral('');
    const first = elements.find((e) => mine[e.name]);
    if (first) return document.getElementById(fieldId(formId, first.name))?.focus();
    setBusy(true);
    try {
      const answer = (await post<DialogSubmitResponse | null>(SUBMIT, { ...base, submission: submission(elements, values), cancelled: false })) ?? {};
      const theirs = answer.errors ?? {};
      if (!answer.error && Object.keys(theirs).length === 0) return onClose();
      setErrors(theirs);
      // An error for a field the dialog does not have would show nowhere: it joins the general one.
      const unknown = Object.entries(theirs).filter(([name]) => !elements.some((e) => e.name === name)).map(([name, m]) => `${name}: ${m}`);
      setGeneral([answer.error, ...unknown].filter(Boolean).join(' '));
      const firstBad = elements.find((e) => theirs[e.name]);
      if (firstBad) document.getElementById(fieldId(formId, firstBad.name))?.focus();
    } catch (e) {
      setGeneral(e instanceof ApiError ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  const cancel = () => {
    // Mattermost tells the integration only when the dialog asked for it; closing does not wait.
    if (dialog.notify_on_cancel) void post(SUBMIT, { ...base, submission: {}, cancelled: true }).catch(() => undefined);
    onClose();
  };

  return (
    <Dialog
      title={dialog.title || 'Dialog'}
      confirm={dialog.submit_label || 'Submit'}
      confirmForm={formId}
      busy={busy}
      busyText="Submitting…"
      error={general}
      onCancel={cancel}
      confirmId="interactiveDialogSubmit"
    >
      <form id={formId} className="interactive-dialog" onSubmit={submit} noValidate>
        {dialog.introduction_text && <p className="dialog-intro">{dialog.introduction_text}</p>}
        {elements.map((e, i) => (
          <DialogField
            key={e.name}
            id={fieldId(formId, e.name)}
            element={e}
            value={values[e.name]}
            error={errors[e.name]}
            autoFocus={i === 0}
            onChange={(v) => setValues((all) => ({ ...all, [e.name]: v }))}
          />
        ))}
      </form>
    </Dialog>
  );
}

const fieldId = (formId: string, name: string) => `${formId}-${name}`.replace(/[^A-Za-z0-9_-]/g, '_');

const INPUT_TYPES: Record<string, string> = { email: 'email', number: 'number', password: 'password', tel: 'tel', url: 'url' };

function DialogField({ id, element: e, value, error, autoFocus, onChange }: {
  id: string; element: DialogElement; value: Value; error?: string; autoFocus: boolean; onChange: (v: Value) => void;
}) {
  const focus = autoFocus ? { 'data-autofocus': true } : {};
  const label = e.optional ? `${e.display_name} (optional)` : e.display_name;
  return (
    <Field id={id} label={label} help={e.help_text} error={error} required={!e.optional && e.type !== 'bool'}>
      {(a) => {
        if (e.type === 'bool') {
          return (
            <label className="checkbox">
              <input {...a} {...focus} name={e.name} type="checkbox" checked={value === true} onChange={(ev) => onChange(ev.target.checked)} />
              {e.placeholder}
            </label>
          );
        }
        if (e.type === 'radio') {
          return (
            <div className="radio-options" role="radiogroup" aria-labelledby={`${id}-label`} aria-describedby={a['aria-describedby']}>
              {(e.options ?? []).map((o, i) => (
                <label key={o.value} className="checkbox">
                  <input {...(i === 0 ? focus : {})} id={i === 0 ? id : undefined} type="radio" name={e.name} checked={value === o.value} onChange={() => onChange(o.value)} />
                  {o.text}
                </label>
              ))}
            </div>
          );
        }
        if (e.type === 'select') {
          return (
            <select {...a} {...focus} name={e.name} value={String(value)} onChange={(ev) => onChange(ev.target.value)}>
              <option value="">{e.placeholder || '--- Select an option ---'}</option>
              {(e.options ?? []).map((o) => (
                <option key={o.value} value={o.value}>
                  {o.text}
                </option>
              ))}
            </select>
          );
        }
        const common = { ...a, ...focus, name: e.name, value: String(value), placeholder: e.placeholder, maxLength: e.max_length || MAX_LENGTH[e.type] };
        if (e.type === 'textarea') return <textarea {...common} rows={4} onChange={(ev) => onChange(ev.target.value)} />;
        return <input {...common} type={INPUT_TYPES[e.subtype ?? ''] ?? 'text'} onChange={(ev) => onChange(ev.target.value)} />;
      }}
    </Field>
  );
}
