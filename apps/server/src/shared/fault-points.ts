/**
 * Named moments in the server's work where a crash is most harmful: after a CA or a notifier has
 * acted and before the database has recorded it. The fault-injection tests start a server whose hook
 * stops at one of them and then kill it with SIGKILL, so the kill lands at a known point instead of
 * after a sleep. Production servers have no hook: each point is one optional call.
 */
export type FaultPoint =
  /** The CA issued (or renewed) a certificate; the version is not stored yet. */
  | 'issuance.after-ca'
  /** A notifier delivered a notification; the outbox row is not settled yet. */
  | 'notification.after-send'
  /** A CRL number was reserved; the signed CRL is not stored yet. */
  | 'crl.after-reserve';

/** Called at each fault point with what is being worked on; a test hook may never return. */
export type FaultHook = (point: FaultPoint, subject: string) => Promise<void>;
