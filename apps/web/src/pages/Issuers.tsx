import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useMemo, useState } from 'react';
import { SchemaFields } from '../components/SchemaForm';
import { Dialog, Empty, ErrorState, Field, Loading, Notice, PageHeader, StatusBadge, Time } from '../components/ui';
import { errorMessage, unwrap } from '../lib/api';
import { useSession } from '../lib/auth';
import { configFromValues, fieldsFromSchema, type FormValues, type JsonSchema } from '../lib/schema-form';

interface IssuerType {
  id: string;
  status: string;
  display_name?: string;
  version?: string;
  package_name?: string;
  error?: string;
  capabilities?: Record<string, unknown>;
  config_schema?: JsonSchema;
}

function capabilityList(capabilities: Record<string, unknown> | undefined): string[] {
  return Object.entries(capabilities ?? {})
    .filter(([, v]) => v === true)
    .map(([k]) => k.replace(/([A-Z])/g, ' $1').toLowerCase());
}

function CreateIssuer({ type, onDone }: { type: IssuerType; onDone: (name: string) => void }) {
  const { api } = useSession();
  const queryClient = useQueryClient();
  const fields = useMemo(() => fieldsFromSchema(type.config_schema), [type]);
  const [name, setName] = useState('');
  const [values, setValues] = useState<FormValues>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const create = useMutation({
    mutationFn: (config: Record<string, unknown>) =>
      unwrap(api.POST('/api/v1/issuers', { body: { name: name.trim(), type: type.id, config } })),
    onSuccess: (issuer) => {
      queryClient.invalidateQueries({ queryKey: ['issuers'] });
      onDone(issuer.name);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const result = configFromValues(fields, values);
    const nameError = name.trim() ? undefined : 'Name is required';
    setErrors({ ...result.errors, ...(nameError && { __name: nameError }) });
    if (nameError || Object.keys(result.errors).length > 0) return;
    create.mutate(result.config);
  };
  return (
    <form className="form" onSubmit={submit} noValidate>
      <p className="muted">
        The form is generated from the connector's configuration schema. Secrets are write-only: the server encrypts
        them and never shows them again.
      </p>
      <Field label="Name" htmlFor="issuer-name" error={errors.__name}>
        <input id="issuer-name" required value={name} onChange={(e) => setName(e.target.value)} />
      </Field>
      <SchemaFields
        fields={fields}
        values={values}
        errors={errors}
        idPrefix="issuer-config"
        onChange={(field, value) => setValues((v) => ({ ...v, [field]: value }))}
      />
      {Object.keys(errors).length > 0 && <Notice tone="bad">Correct the highlighted fields.</Notice>}
      {create.isError && <Notice tone="bad">{errorMessage(create.error)}</Notice>}
      <div className="actions">
        <button type="submit" className="btn btn-primary" disabled={create.isPending}>
          {create.isPending ? 'Creating…' : 'Create issuer'}
        </button>
      </div>
    </form>
  );
}

export function IssuersPage() {
  const { api, roles } = useSession();
  const queryClient = useQueryClient();
  const admin = roles.includes('admin');
  const [adding, setAdding] = useState<IssuerType>();
  const [message, setMessage] = useState<{ tone: 'ok' | 'bad'; text: string }>();
  const types = useQuery({
    queryKey: ['issuer-types'],
    queryFn: async () => (await unwrap(api.GET('/api/v1/issuer-types'))) as unknown as { data: IssuerType[] },
  });
  const issuers = useQuery({
    queryKey: ['issuers'],
    queryFn: () => unwrap(api.GET('/api/v1/issuers', { params: { query: { per_page: 200 } } })),
  });
  const test = useMutation({
    mutationFn: (id: string) => unwrap(api.POST('/api/v1/issuers/{id}/test', { params: { path: { id } } })),
    onSuccess: (result, id) => {
      setMessage({
        tone: result.ok ? 'ok' : 'bad',
        text: `Test of ${id}: ${result.ok ? 'connected' : 'failed'}. ${result.detail}`,
      });
      queryClient.invalidateQueries({ queryKey: ['issuers'] });
    },
    onError: (e) => setMessage({ tone: 'bad', text: errorMessage(e) }),
  });

  return (
    <>
      <PageHeader
        title="Issuers"
        description="The certificate authorities certctl issues from, and the connector types installed on this server."
      />
      {message && <Notice tone={message.tone}>{message.text}</Notice>}
      <section className="card" aria-labelledby="issuers-title">
        <h2 id="issuers-title">Configured issuers</h2>
        {issuers.isPending ? (
          <Loading what="issuers" />
        ) : issuers.isError ? (
          <ErrorState error={issuers.error} retry={() => issuers.refetch()} />
        ) : issuers.data.data.length === 0 ? (
          <Empty title="No issuer yet.">Pick a connector type below and fill in its form to connect a CA.</Empty>
        ) : (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Type</th>
                  <th scope="col">Source</th>
                  <th scope="col">Connector</th>
                  <th scope="col">Last test</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {issuers.data.data.map((i) => (
                  <tr key={i.id}>
                    <td>
                      {i.name} <span className="muted small">{i.id}</span>
                      {!i.enabled && <span className="badge badge-muted">disabled</span>}
                    </td>
                    <td>{i.type}</td>
                    <td>{i.source}</td>
                    <td>
                      <StatusBadge status={i.connector_status} />
                    </td>
                    <td>
                      <StatusBadge status={i.test_status} /> <Time value={i.last_tested_at} relative />
                      {i.test_detail && <div className="muted small">{i.test_detail}</div>}
                    </td>
                    <td>
                      <button
                        type="button"
                        className="btn btn-small"
                        disabled={test.isPending}
                        onClick={() => test.mutate(i.id)}
                        aria-label={`Test connection of ${i.name}`}
                      >
                        Test connection
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section aria-labelledby="catalogue-title">
        <h2 id="catalogue-title">Catalogue of installed connector types</h2>
        {!admin && <p className="muted">Creating an issuer needs an admin key.</p>}
        {types.isPending ? (
          <Loading what="connector types" />
        ) : types.isError ? (
          <ErrorState error={types.error} retry={() => types.refetch()} />
        ) : (
          <ul className="catalogue">
            {types.data.data.map((t) => (
              <li key={t.id} className="card">
                <h3>{t.display_name ?? t.id}</h3>
                <p className="muted small">
                  <code>{t.id}</code> {t.package_name} {t.version}
                </p>
                <StatusBadge status={t.status} />
                {t.error && <p className="error-text small">{t.error}</p>}
                <p className="small">{capabilityList(t.capabilities).join(', ') || 'issue'}</p>
                {admin && t.status === 'available' && t.config_schema && (
                  <button
                    type="button"
                    className="btn btn-small btn-primary"
                    onClick={() => setAdding(t)}
                    aria-label={`Add issuer: ${t.display_name ?? t.id}`}
                  >
                    Add issuer
                  </button>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>
      <Dialog
        title={`New ${adding?.display_name ?? adding?.id ?? ''} issuer`}
        open={adding !== undefined}
        onClose={() => setAdding(undefined)}
      >
        {adding && (
          <CreateIssuer
            type={adding}
            onDone={(name) => {
              setAdding(undefined);
              setMessage({ tone: 'ok', text: `Issuer ${name} created. Test its connection before issuing from it.` });
            }}
          />
        )}
      </Dialog>
    </>
  );
}
