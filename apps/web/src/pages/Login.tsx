import { type FormEvent, useState } from 'react';
import { useAuth } from '../lib/auth';

export function LoginPage() {
  const { login, notice } = useAuth();
  const [key, setKey] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await login(key);
      setKey('');
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="login" id="main">
      <form className="card login-card" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">
          <span className="brand-mark" aria-hidden="true">
            ✓
          </span>{' '}
          certctl
        </h1>
        <p className="muted">
          Log in with an API key. It is kept in this tab's memory only: reloading or closing the tab forgets it.
        </p>
        {notice && (
          <div className="callout callout-bad" role="alert">
            {notice}
          </div>
        )}
        <div className={`field${error ? ' field-error' : ''}`}>
          <label htmlFor="api-key">API key</label>
          <input
            id="api-key"
            name="api-key"
            type="password"
            autoComplete="off"
            value={key}
            onChange={(e) => setKey(e.target.value)}
            aria-describedby={error ? 'api-key-error api-key-hint' : 'api-key-hint'}
            aria-invalid={error ? true : undefined}
          />
          <small id="api-key-hint" className="muted">
            The admin key the server printed at its first start, a key from <code>CERTCTL_API_KEYS_NAMED</code>, or one
            made under API keys (<code>POST /api/v1/api-keys</code>).
          </small>
          {error && (
            <small id="api-key-error" className="error-text" role="alert">
              {error}
            </small>
          )}
        </div>
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Checking…' : 'Log in'}
        </button>
      </form>
    </main>
  );
}
