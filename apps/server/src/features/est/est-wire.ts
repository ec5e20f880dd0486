import { randomBytes } from 'node:crypto';
import { MalformedInputError } from '@certctl/core';
import { buildCertsOnlySignedData, type ParsedCsr, parseCsr, verifyCsrSignature } from '@certctl/pki';
import { badRequest } from './est-error.js';

const BASE64_BODY = /^[A-Za-z0-9+/=\s]+$/;

/**
 * The PKCS#10 body of simpleenroll/simplereenroll/serverkeygen: base64 DER as RFC 7030 4.2.1
 * says, PEM as many clients send, or raw DER. Anything else, or a CSR whose signature does not
 * verify, is a 400 that says why.
 */
export async function readCsrBody(body: unknown): Promise<ParsedCsr> {
  if (!(body instanceof Uint8Array) || body.length === 0)
    throw badRequest('the request body must be a PKCS#10 certificate request (base64 DER, application/pkcs10)');
  const text = Buffer.from(body).toString('latin1');
  let input: string | Uint8Array;
  if (text.includes('-----BEGIN')) input = text;
  else if (BASE64_BODY.test(text)) input = Buffer.from(text.replace(/\s+/g, ''), 'base64');
  else if (body[0] === 0x30) input = body;
  else throw badRequest('the request body is neither base64 nor PEM nor DER');
  let csr: ParsedCsr;
  try {
    csr = parseCsr(input);
  } catch (error) {
    if (MalformedInputError.isInstance(error))
      throw badRequest(
        `the request body is not a valid PKCS#10 request: ${error.message.replace(/^\[certctl\] (\[[^\]]+\] )?/, '')}`,
      );
    throw badRequest('the request body is not a valid PKCS#10 request');
  }
  let verified = false;
  try {
    verified = await verifyCsrSignature(csr.der);
  } catch {
    verified = false;
  }
  if (!verified) throw badRequest('the CSR signature does not verify (it was not signed by the key it carries)');
  return csr;
}

/**
 * Base64 on one line. RFC 2045 would wrap at 76 characters, but strongSwan's EST client (5.9)
 * mis-decodes wrapped bodies, and every other client accepts an unwrapped one.
 */
export function base64Lines(der: Uint8Array): string {
  return Buffer.from(der).toString('base64');
}

export const PKCS7_CERTS_ONLY = 'application/pkcs7-mime; smime-type=certs-only';

/** A certs-only PKCS#7 (degenerate SignedData) with these certificates, base64 for the wire. */
export function certsOnlyBody(certificates: readonly (string | Uint8Array)[]): string {
  return base64Lines(buildCertsOnlySignedData(certificates));
}

export interface MultipartPart {
  contentType: string;
  body: string;
}

/** multipart/mixed (RFC 2046) of base64 parts, as serverkeygen answers (RFC 7030 4.4.2). */
export function multipartMixed(parts: readonly MultipartPart[]): { contentType: string; body: string } {
  const boundary = `est-${randomBytes(12).toString('hex')}`;
  const chunks = parts.map(
    (p) => `--${boundary}\r\nContent-Type: ${p.contentType}\r\nContent-Transfer-Encoding: base64\r\n\r\n${p.body}\r\n`,
  );
  return { contentType: `multipart/mixed; boundary=${boundary}`, body: `${chunks.join('')}--${boundary}--\r\n` };
}
