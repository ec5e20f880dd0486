import { AuthenticationError, ConnectorError, DeadlineExceededError, VendorApiError } from '@certctl/core';
import { SmtpTlsError } from './email-error.js';

const CONNECTOR = 'notifier-email';

/** Node's codes for a certificate the client refuses. */
const CERTIFICATE_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REVOKED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

interface SmtpLikeError {
  code?: string;
  responseCode?: number;
  response?: string;
  command?: string;
  message?: string;
  cause?: unknown;
}

function certificateCode(error: unknown, depth = 0): string | undefined {
  if (typeof error !== 'object' || error === null || depth > 4) return undefined;
  const e = error as SmtpLikeError;
  if (e.code && CERTIFICATE_CODES.has(e.code)) return e.code;
  if (e.message && /certificate|self[- ]signed|wrong version number/i.test(e.message) && e.code !== 'EAUTH')
    return e.code ?? 'certificate';
  return certificateCode(e.cause, depth + 1);
}

/** Turns what nodemailer throws into core's typed errors, without the password (nodemailer never echoes it). */
export function smtpFailure(error: unknown, where: string): ConnectorError {
  if (ConnectorError.isInstance(error)) return error;
  const e = (error ?? {}) as SmtpLikeError;
  const reply = e.response
    ? `: ${e.response.replace(/\s+/g, ' ').slice(0, 200)}`
    : e.message
      ? `: ${e.message.slice(0, 200)}`
      : '';
  const cert = certificateCode(error);
  if (e.code === 'ETLS' || e.code === 'EREQUIRETLS' || cert) {
    return new SmtpTlsError({
      message: `${where}: TLS failed${cert && cert !== 'certificate' ? ` (${cert})` : ''}${reply}; check that the server offers STARTTLS (or set implicit_tls for port 465) and that its certificate is trusted (ca_pem) and names smtp_host`,
      cause: error,
    });
  }
  if (e.code === 'EAUTH' || e.code === 'ENOAUTH') {
    return new AuthenticationError({
      connector: CONNECTOR,
      message: `${where}: the SMTP server refused the login${reply}; check username and password`,
      cause: error,
    });
  }
  if (e.code === 'ETIMEDOUT') {
    return new DeadlineExceededError({ connector: CONNECTOR, message: `${where}: timed out${reply}`, cause: error });
  }
  // SMTP replies: 4xx is a transient refusal worth retrying, 5xx permanent. No reply: a network failure.
  const smtpCode = e.responseCode;
  const retryable = smtpCode === undefined ? true : smtpCode >= 400 && smtpCode < 500;
  return new VendorApiError({
    connector: CONNECTOR,
    retryable,
    body: e.response,
    message: `${where} failed${smtpCode ? ` (SMTP ${smtpCode}${e.command ? ` after ${e.command}` : ''})` : e.code ? ` (${e.code})` : ''}${reply}`,
    cause: error,
  });
}
