import { type Kysely, sql } from 'kysely';

/** Alert routing on renewal policies, notifier instances, and the notification outbox. */
const UP: string[] = [
  // Empty objects mean "the defaults" (see services/alert-routing.ts), so existing policies keep working.
  `ALTER TABLE renewal_policies ADD COLUMN alert_channels jsonb NOT NULL DEFAULT '{}'`,
  `ALTER TABLE renewal_policies ADD COLUMN alert_severity_map jsonb NOT NULL DEFAULT '{}'`,
  `CREATE TABLE notifiers (
    id text PRIMARY KEY,
    name text NOT NULL UNIQUE,
    type text NOT NULL,
    config jsonb NOT NULL,
    enabled boolean NOT NULL DEFAULT true,
    source text NOT NULL DEFAULT 'database' CHECK (source IN ('database', 'env')),
    test_status text NOT NULL DEFAULT 'untested' CHECK (test_status IN ('untested', 'ok', 'failed')),
    test_detail text,
    last_tested_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  'CREATE INDEX notifiers_type ON notifiers (type) WHERE enabled',
  `CREATE TABLE notification_outbox (
    id text PRIMARY KEY,
    dedup_key text NOT NULL,
    action text NOT NULL DEFAULT 'send' CHECK (action IN ('send', 'resolve')),
    event text NOT NULL,
    severity text NOT NULL CHECK (severity IN ('informational', 'warning', 'critical')),
    channel text NOT NULL,
    notifier_id text NOT NULL,
    certificate_id text,
    version_id text,
    threshold_days integer,
    payload jsonb NOT NULL,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed', 'dead')),
    attempts integer NOT NULL DEFAULT 0,
    max_attempts integer NOT NULL,
    next_attempt_at timestamptz NOT NULL,
    lease_owner text,
    lease_expires_at timestamptz,
    last_error text,
    provider_id text,
    sent_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  // One delivery per (certificate version, event, threshold, notifier) ever: the key spells them out
  // (NULL-free, so it holds on every PostgreSQL version), across restarts and replicas.
  'CREATE UNIQUE INDEX notification_outbox_dedup ON notification_outbox (dedup_key)',
  `CREATE INDEX notification_outbox_due ON notification_outbox (next_attempt_at) WHERE status IN ('pending', 'failed')`,
  'CREATE INDEX notification_outbox_status ON notification_outbox (status, created_at)',
  'CREATE INDEX notification_outbox_certificate ON notification_outbox (certificate_id) WHERE certificate_id IS NOT NULL',
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of UP) await sql.raw(statement).execute(db);
}
