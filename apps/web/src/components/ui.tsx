import { type ReactNode, useEffect, useId, useRef } from 'react';
import { errorMessage } from '../lib/api';
import { daysUntil, formatLocal, formatRelative, formatUtc } from '../lib/time';

/** A time in the browser's zone; hovering shows the UTC value. */
export function Time({ value, relative = false }: { value: string | null | undefined; relative?: boolean }) {
  if (!value) return <span className="muted">—</span>;
  return (
    <time dateTime={value} title={formatUtc(value)}>
      {relative ? formatRelative(value) : formatLocal(value)}
    </time>
  );
}

const TONES: Record<string, string> = {
  active: 'ok',
  online: 'ok',
  succeeded: 'ok',
  sent: 'ok',
  ok: 'ok',
  approved: 'ok',
  managed: 'ok',
  available: 'ok',
  expiring: 'warn',
  renewal_in_progress: 'info',
  pending: 'info',
  running: 'info',
  waiting_on_ca: 'info',
  awaiting_csr: 'info',
  awaiting_approval: 'warn',
  registered: 'info',
  unmanaged: 'warn',
  untested: 'muted',
  offline: 'bad',
  expired: 'bad',
  failed: 'bad',
  dead: 'bad',
  rejected: 'bad',
  revoked: 'bad',
  unavailable: 'bad',
  not_installed: 'bad',
  cancelled: 'muted',
  archived: 'muted',
  retired: 'muted',
  dismissed: 'muted',
  expired_approval: 'muted',
};

/** A status as a coloured label (the word is always written: colour is never the only signal). */
export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge badge-${TONES[status] ?? 'muted'}`}>{status.replaceAll('_', ' ')}</span>;
}

/** Days left until an expiry, coloured by urgency. */
export function ExpiresIn({ value }: { value: string | null | undefined }) {
  const days = daysUntil(value);
  if (days === undefined) return <span className="muted">—</span>;
  const tone = days < 0 ? 'bad' : days <= 14 ? 'bad' : days <= 30 ? 'warn' : 'ok';
  return (
    <span className={`days days-${tone}`} title={formatUtc(value)}>
      {days < 0 ? `expired ${-days}d ago` : `${days}d`}
    </span>
  );
}

export function PageHeader({
  title,
  description,
  actions,
}: {
  title: string;
  description?: string;
  actions?: ReactNode;
}) {
  return (
    <header className="page-header">
      <div>
        <h1>{title}</h1>
        {description && <p className="muted">{description}</p>}
      </div>
      {actions && <div className="actions">{actions}</div>}
    </header>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="loading" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

/** What failed and what to do next. */
export function ErrorState({ error, retry }: { error: unknown; retry?: () => void }) {
  return (
    <div className="callout callout-bad" role="alert">
      <strong>Could not load this.</strong> {errorMessage(error)}{' '}
      {retry ? (
        <button type="button" className="btn btn-small" onClick={retry}>
          Try again
        </button>
      ) : null}
      <p className="muted">
        If it keeps failing, check the server's log (the request id is in the answer's x-request-id header).
      </p>
    </div>
  );
}

/** An empty list, with the next step. */
export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <p>
        <strong>{title}</strong>
      </p>
      {children && <div className="muted">{children}</div>}
    </div>
  );
}

/** A message after an action (success or failure), read out by screen readers. */
export function Notice({ tone, children }: { tone: 'ok' | 'bad'; children: ReactNode }) {
  return (
    <div className={`callout callout-${tone}`} role={tone === 'bad' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}

/** A modal dialog (the browser's own <dialog>: focus moves in, Escape closes it). */
export function Dialog({
  title,
  open,
  onClose,
  children,
}: {
  title: string;
  open: boolean;
  onClose: () => void;
  children: ReactNode;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog ref={ref} aria-labelledby={titleId} onClose={onClose} className="dialog">
      <div className="dialog-head">
        <h2 id={titleId}>{title}</h2>
        <button type="button" className="btn btn-ghost" onClick={onClose} aria-label="Close">
          ✕
        </button>
      </div>
      {open && children}
    </dialog>
  );
}

/** A labelled form field around one input. */
export function Field({
  label,
  hint,
  error,
  children,
  htmlFor,
}: {
  label: string;
  hint?: string;
  error?: string;
  htmlFor: string;
  children: ReactNode;
}) {
  return (
    <div className={`field${error ? ' field-error' : ''}`}>
      <label htmlFor={htmlFor}>{label}</label>
      {children}
      {hint && (
        <small className="muted" id={`${htmlFor}-hint`}>
          {hint}
        </small>
      )}
      {error && (
        <small className="error-text" id={`${htmlFor}-error`}>
          {error}
        </small>
      )}
    </div>
  );
}

/** Previous/next over a paged list. */
export function Pager({
  page,
  perPage,
  total,
  onPage,
}: {
  page: number;
  perPage: number;
  total: number;
  onPage: (page: number) => void;
}) {
  const pages = Math.max(1, Math.ceil(total / perPage));
  if (pages <= 1) return <p className="muted small">{total} in all</p>;
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" className="btn btn-small" disabled={page <= 1} onClick={() => onPage(page - 1)}>
        Previous
      </button>
      <span>
        Page {page} of {pages} ({total} in all)
      </span>
      <button type="button" className="btn btn-small" disabled={page >= pages} onClick={() => onPage(page + 1)}>
        Next
      </button>
    </nav>
  );
}
