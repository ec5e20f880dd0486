import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineIssuer, type IssueRequest } from '@certctl/core';
import {
  buildCrl,
  createCertificateAuthority,
  exportPrivateKeyPem,
  importPrivateKey,
  parseCsr,
  signCertificate,
} from '@certctl/pki';
import { z } from 'zod';

/**
 * A CA whose state lives in a directory instead of a process, so it outlives the server processes the
 * fault-injection tests kill: its key and certificate, one file per request id it signed, and a log
 * of every call. Like a CA that deduplicates on a client request id (an ACME order URL, a vendor's
 * idempotency key), it answers a repeated request id with the certificate it already signed.
 */
export interface LedgerCall {
  method: 'issue' | 'renew' | 'generateCrl' | 'revoke';
  requestId?: string;
  /** True when this call signed something new (false: the stored answer to a repeated request id). */
  signed: boolean;
  crlNumber?: string;
  pid: number;
}

export function readLedger(dir: string): LedgerCall[] {
  const path = join(dir, 'calls.jsonl');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as LedgerCall);
}

/** Request ids the CA signed more than once (must stay empty). */
export function signedTwice(calls: readonly LedgerCall[]): string[] {
  const seen = new Map<string, number>();
  for (const call of calls)
    if (call.signed && call.requestId) seen.set(call.requestId, (seen.get(call.requestId) ?? 0) + 1);
  return [...seen].filter(([, n]) => n > 1).map(([id]) => id);
}

export function ledgerCaCertificate(dir: string): string {
  return readFileSync(join(dir, 'ca.pem'), 'utf8');
}

async function loadAuthority(dir: string) {
  mkdirSync(join(dir, 'signed'), { recursive: true });
  const certPath = join(dir, 'ca.pem');
  const keyPath = join(dir, 'ca-key.pem');
  if (!existsSync(certPath)) {
    const created = await createCertificateAuthority({ subject: { CN: 'certctl ledger test CA' } });
    writeFileSync(keyPath, exportPrivateKeyPem(created.keys.privateKey), { mode: 0o600 });
    writeFileSync(certPath, created.certificate.pem);
  }
  return {
    certificatePem: readFileSync(certPath, 'utf8'),
    privateKey: await importPrivateKey(readFileSync(keyPath, 'utf8')),
  };
}

export function createLedgerCa(dir: string) {
  const authority = loadAuthority(dir);
  const log = (call: Omit<LedgerCall, 'pid'>) =>
    appendFileSync(join(dir, 'calls.jsonl'), `${JSON.stringify({ ...call, pid: process.pid })}\n`);

  const sign = async (method: 'issue' | 'renew', request: IssueRequest) => {
    const { certificatePem, privateKey } = await authority;
    const stored = join(dir, 'signed', `${request.requestId}.json`);
    if (existsSync(stored)) {
      log({ method, requestId: request.requestId, signed: false });
      return JSON.parse(readFileSync(stored, 'utf8'), (key, value) =>
        key === 'notBefore' || key === 'notAfter' ? new Date(value as string) : value,
      );
    }
    const csr = parseCsr(request.csrPem);
    const leaf = await signCertificate({
      subject: { CN: request.commonName },
      publicKey: csr.spki,
      issuer: { certificate: certificatePem, privateKey },
      sans: request.sans.dns.map((value) => ({ type: 'dns' as const, value })),
      validitySeconds: 90 * 86_400,
    });
    const answer = {
      status: 'issued' as const,
      certificatePem: leaf.pem,
      chainPem: [certificatePem],
      serial: leaf.serialNumber,
      notBefore: leaf.notBefore,
      notAfter: leaf.notAfter,
    };
    writeFileSync(stored, JSON.stringify(answer));
    log({ method, requestId: request.requestId, signed: true });
    return answer;
  };

  return defineIssuer({
    specificationVersion: 'v1',
    id: 'ledger-ca',
    displayName: 'Ledger test CA',
    version: '0.0.0',
    configSchema: z.object({ label: z.string().default('ledger') }).strict(),
    env: { CERTCTL_LEDGERCA_LABEL: 'label' },
    capabilities: { revoke: true, crl: true, caChain: true },
    create: () => ({
      issue: (request) => sign('issue', request),
      renew: (request) => sign('renew', request),
      async revoke({ serial }) {
        log({ method: 'revoke', requestId: serial, signed: false });
      },
      async caChain() {
        return [(await authority).certificatePem];
      },
      async generateCrl(request) {
        const { certificatePem, privateKey } = await authority;
        const der = await buildCrl({
          issuerCertificate: certificatePem,
          signingKey: privateKey,
          crlNumber: request.crlNumber,
          thisUpdate: request.thisUpdate,
          nextUpdate: request.nextUpdate,
          entries: request.entries.map((e) => ({ serial: e.serial, revokedAt: e.revokedAt })),
        });
        log({ method: 'generateCrl', crlNumber: request.crlNumber.toString(), signed: true });
        return der;
      },
    }),
  });
}

/** How many request ids the CA holds a signed answer for. */
export function signedRequestIds(dir: string): string[] {
  return readdirSync(join(dir, 'signed')).map((name) => name.replace(/\.json$/, ''));
}
