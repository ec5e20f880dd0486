import type { FormField, FormValues } from '../lib/schema-form';

/** The inputs of a form generated from a connector's JSON Schema (see lib/schema-form). */
export function SchemaFields({
  fields,
  values,
  errors,
  onChange,
  idPrefix,
}: {
  fields: readonly FormField[];
  values: FormValues;
  errors: Record<string, string>;
  onChange: (name: string, value: string | boolean) => void;
  idPrefix: string;
}) {
  return (
    <>
      {fields.map((field) => {
        const id = `${idPrefix}-${field.name}`;
        const value = values[field.name] ?? field.initial;
        const error = errors[field.name];
        const described =
          [field.description && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(' ') || undefined;
        const common = {
          id,
          name: field.name,
          'aria-describedby': described,
          'aria-invalid': error ? true : undefined,
          required: field.required,
        };
        return (
          <div key={field.name} className={`field${error ? ' field-error' : ''}`}>
            {field.kind === 'boolean' ? (
              <label className="check" htmlFor={id}>
                <input
                  type="checkbox"
                  {...common}
                  checked={value === true}
                  onChange={(e) => onChange(field.name, e.target.checked)}
                />{' '}
                {field.label}
              </label>
            ) : (
              <label htmlFor={id}>
                {field.label}
                {field.required && <span aria-hidden="true"> *</span>}
                {field.kind === 'secret' && <span className="badge badge-muted">secret, write-only</span>}
              </label>
            )}
            {field.kind === 'select' ? (
              <select {...common} value={String(value)} onChange={(e) => onChange(field.name, e.target.value)}>
                {!field.required && <option value="">(default)</option>}
                {field.options?.map((o) => (
                  <option key={o} value={o}>
                    {o}
                  </option>
                ))}
              </select>
            ) : field.kind === 'json' || field.kind === 'multiline' ? (
              <textarea
                {...common}
                rows={4}
                value={String(value)}
                onChange={(e) => onChange(field.name, e.target.value)}
              />
            ) : field.kind === 'boolean' ? null : (
              <input
                {...common}
                type={
                  field.kind === 'secret'
                    ? 'password'
                    : field.kind === 'integer' || field.kind === 'number'
                      ? 'number'
                      : 'text'
                }
                autoComplete={field.kind === 'secret' ? 'new-password' : 'off'}
                placeholder={field.placeholder}
                value={String(value)}
                onChange={(e) => onChange(field.name, e.target.value)}
              />
            )}
            {field.description && (
              <small className="muted" id={`${id}-hint`}>
                {field.description}
                {field.kind === 'list' && ' (comma-separated)'}
              </small>
            )}
            {error && (
              <small className="error-text" id={`${id}-error`}>
                {error}
              </small>
            )}
          </div>
        );
      })}
    </>
  );
}
