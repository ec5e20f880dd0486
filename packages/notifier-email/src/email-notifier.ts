import { rootCertificates } from 'node:tls';
import { notificationLink } from '@certctl/connector-utils';
import { type ConnectorContext, ConnectorError, DeadlineExceededError, type NotifierInstance } from '@certctl/core';
import type { Transporter } from 'nodemailer';
import type { EmailConfig } from './email-config.js';
import { emailHtml, emailText } from './email-message.js';
import { smtpFailure } from './smtp-failure.js';

const CONNECTOR = 'notifier-email';

export interface EmailNotifier extends NotifierInstance {
  testConnection(options?: { signal?: AbortSignal }): Promise<{ ok: true; detail: string }>;
  stop(): Promise<void>;
}

/** Rejects when `signal` aborts; nodemailer takes no AbortSignal, so the transport is closed instead. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined, onAbort: () => void): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) {
    onAbort();
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const abort = () => {
      onAbort();
      reject(signal.reason);
    };
    signal.addEventListener('abort', abort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', abort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', abort);
        reject(error);
      },
    );
  });
}

export function createEmailNotifier(config: EmailConfig, ctx: ConnectorContext): EmailNotifier {
  const implicitTls = config.implicit_tls ?? config.smtp_port === 465;
  const where = `SMTP ${config.smtp_host}:${config.smtp_port}`;
  let transporter: Transporter | undefined;

  async function transport(): Promise<Transporter> {
    if (transporter) return transporter;
    // Imported lazily: the library only loads where email is configured.
    const nodemailer = await import('nodemailer');
    const timeout = config.timeout_seconds * 1000;
    transporter = nodemailer.createTransport({
      host: config.smtp_host,
      port: config.smtp_port,
      secure: implicitTls,
      requireTLS: config.use_tls && !implicitTls,
      ignoreTLS: !config.use_tls && !implicitTls,
      auth: config.username !== undefined ? { user: config.username, pass: config.password! } : undefined,
      tls: {
        minVersion: 'TLSv1.2',
        rejectUnauthorized: true,
        ...(config.ca_pem ? { ca: [...rootCertificates, config.ca_pem] } : {}),
      },
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      disableFileAccess: true,
      disableUrlAccess: true,
      logger: false,
    });
    return transporter;
  }

  const reset = () => {
    transporter?.close();
    transporter = undefined;
  };

  return {
    async send(notification) {
      const recipients =
        notification.recipients && notification.recipients.length > 0 ? notification.recipients : config.to_addresses;
      if (recipients.length === 0) {
        throw new ConnectorError({
          connector: CONNECTOR,
          retryable: false,
          message: 'no recipients: the notification named none and to_addresses is empty',
        });
      }
      const link = notificationLink(notification, ctx.environment.publicBaseUrl);
      const mailer = await transport();
      let info: { messageId?: string; accepted?: unknown[]; response?: string };
      try {
        info = await raceAbort(
          mailer.sendMail({
            from: { name: config.from_name, address: config.from_address },
            to: recipients,
            subject: notification.subject,
            text: emailText(notification, link),
            html: emailHtml(notification, link),
            headers: {
              'X-Certctl-Event': notification.event,
              'X-Certctl-Severity': notification.severity,
              'X-Certctl-Dedup-Key': notification.dedupKey,
              // RFC 3834: keeps vacation responders from answering.
              'Auto-Submitted': 'auto-generated',
            },
          }),
          notification.signal,
          reset,
        );
      } catch (error) {
        reset();
        if (notification.signal?.aborted) {
          throw new DeadlineExceededError({
            connector: CONNECTOR,
            message: `${where}: sending was aborted`,
            cause: notification.signal.reason,
          });
        }
        throw smtpFailure(error, where);
      }
      ctx.logger.debug({ messageId: info.messageId, recipients: recipients.length }, 'email sent');
      return { providerId: info.messageId, detail: `sent to ${recipients.length} recipient(s) through ${where}` };
    },

    async testConnection(options) {
      const mailer = await transport();
      try {
        await raceAbort(mailer.verify(), options?.signal, reset);
      } catch (error) {
        reset();
        throw smtpFailure(error, where);
      }
      return {
        ok: true,
        detail: `${where} reachable${config.use_tls || implicitTls ? ' over TLS' : ''}${config.username ? ', login accepted' : ''}`,
      };
    },

    async stop() {
      reset();
    },
  };
}
