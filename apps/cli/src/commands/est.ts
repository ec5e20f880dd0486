import { readFileSync, writeFileSync } from 'node:fs';
import { createHttpClient, createSsrfPolicy, type HttpClient } from '@certctl/connector-utils';
import {
  createCsr,
  derToPem,
  exportPrivateKeyPem,
  generateKeyPair,
  importPrivateKey,
  KEY_ALGORITHM_NAMES,
  type KeyAlgorithmName,
  parseCertificate,
  parseCertsOnlySignedData,
  publicKeyOf,
  type SubjectAltName,
} from '@certctl/pki';
import type { Command } from 'commander';
import { passwordFromEnv, readCaBundle } from '../cli-config.js';
import { type CommandContext, repeatable } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';

/**
 * An EST client (RFC 7030) for certctl's EST server and any other: `/cacerts`, `/simpleenroll`,
 * `/simplereenroll` under `<server>/.well-known/est[/<label>]`. Bodies are base64 DER (PKCS#10 in,
 * certs-only PKCS#7 out); the private key is made here and never leaves this machine.
 */
interface EstOptions {
  estUrl?: string;
  label?: string;
  username?: string;
  password?: string;
  clientCert?: string;
  clientKey?: string;
}

function estBase(ctx: CommandContext, options: EstOptions): string {
  const base = options.estUrl ?? `${ctx.config().serverUrl.replace(/\/+$/, '')}/.well-known/est`;
  return `${base.replace(/\/+$/, '')}${options.label ? `/${encodeURIComponent(options.label)}` : ''}`;
}

function estHttp(ctx: CommandContext, url: string, options: EstOptions): HttpClient {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  const caBundle = ctx.options.caBundle ?? ctx.io.env.CERTCTL_CA_BUNDLE;
  const caPem = options.estUrl ? readCaBundle(caBundle) : ctx.config().caPem;
  if ((options.clientCert === undefined) !== (options.clientKey === undefined))
    throw new CliError('--client-cert and --client-key go together', EXIT.usage);
  return createHttpClient({
    connector: 'est-client',
    timeoutMs: 60_000,
    ssrfPolicy: createSsrfPolicy({ connector: 'est-client', allowPrivate: true, allowLoopback: true, allow: [host] }),
    ...(options.clientCert && options.clientKey
      ? { mtls: { certPath: options.clientCert, keyPath: options.clientKey, ...(caBundle && { caPath: caBundle }) } }
      : caPem && { ca: caPem }),
    userAgent: `certctl-cli/${ctx.version}`,
  });
}

const base64Body = (body: Uint8Array) => Buffer.from(new TextDecoder().decode(body).replace(/\s+/g, ''), 'base64');

/** The certificates of an EST answer (base64 certs-only PKCS#7), as PEM. */
function certificatesPem(body: Uint8Array): string {
  const der = parseCertsOnlySignedData(new Uint8Array(base64Body(body)));
  if (der.length === 0) throw new CliError('the EST server answered with no certificate', EXIT.failure);
  return der.map((cert) => derToPem(cert, 'CERTIFICATE')).join('');
}

async function estCall(
  http: HttpClient,
  url: string,
  init: { method: 'GET' | 'POST'; body?: Uint8Array; auth?: string },
) {
  const response = await http.request({
    method: init.method,
    url,
    label: `${init.method} ${new URL(url).pathname}`,
    headers: {
      ...(init.body && { 'content-type': 'application/pkcs10', 'content-transfer-encoding': 'base64' }),
      ...(init.auth && { authorization: init.auth }),
    },
    ...(init.body && { body: new TextEncoder().encode(Buffer.from(init.body).toString('base64')) }),
    acceptStatus: () => true,
  });
  if (response.status === 202)
    throw new CliError(
      `the EST server accepted the request for manual approval; retry after ${response.headers['retry-after'] ?? 'a while'} seconds`,
      EXIT.failure,
    );
  if (response.status >= 400) {
    const said = response.text().replace(/\s+/g, ' ').trim().slice(0, 300);
    throw new CliError(
      `EST ${new URL(url).pathname} answered ${response.status}: ${said}`,
      response.status >= 500 ? EXIT.unavailable : EXIT.refused,
    );
  }
  return response.body;
}

function sansOf(values: readonly string[] | undefined): SubjectAltName[] {
  return (values ?? []).map((value) =>
    /^[0-9.]+$|:/.test(value)
      ? { type: 'ip', value }
      : value.includes('@')
        ? { type: 'email', value }
        : { type: 'dns', value },
  );
}

function addEstOptions(command: Command): Command {
  return command
    .option('--est-url <url>', 'EST base URL of another server (default <server>/.well-known/est)')
    .option('--label <label>', 'EST profile label (…/.well-known/est/<label>/…)')
    .option('--username <name>', 'HTTP Basic user name')
    .option('--password <password>', 'HTTP Basic password (or CERTCTL_EST_PASSWORD)')
    .option('--client-cert <file>', 'PEM client certificate for mutual TLS')
    .option('--client-key <file>', 'PEM key of the client certificate');
}

const basicAuth = (ctx: CommandContext, options: EstOptions) => {
  const password = options.password ?? passwordFromEnv(ctx.io.env, 'CERTCTL_EST_PASSWORD');
  return password === undefined
    ? undefined
    : `Basic ${Buffer.from(`${options.username ?? 'certctl'}:${password}`).toString('base64')}`;
};

export function estCommand(program: Command, ctx: CommandContext): void {
  const est = program.command('est').description('EST client (RFC 7030): CA certificates, enrol, re-enrol');

  addEstOptions(est.command('cacerts').description("Fetch the EST server's CA certificates as PEM"))
    .option('--out <file>', 'write them to this file instead of stdout')
    .addHelpText(
      'after',
      '\nExamples:\n  certctl est cacerts --label corp > ca.pem\n  certctl est cacerts --est-url https://est.example.com:8443/.well-known/est --ca-bundle tls-ca.pem',
    )
    .action(async (options) => {
      const url = `${estBase(ctx, options)}/cacerts`;
      const http = estHttp(ctx, url, options);
      try {
        const pem = certificatesPem(await estCall(http, url, { method: 'GET' }));
        if (options.out) writeFileSync(options.out, pem);
        else ctx.io.stdout.write(pem);
      } finally {
        await http.close();
      }
    });

  addEstOptions(est.command('enroll').description('Make a key and CSR here and enrol it (simpleenroll)'))
    .requiredOption('--cn <name>', 'subject common name')
    .option('--san <name>', 'subject alternative name: DNS name, IP or e-mail (repeat)', repeatable)
    .option('--key-algorithm <name>', KEY_ALGORITHM_NAMES.join(', '), 'ecdsa-p256')
    .requiredOption('--key-out <file>', 'where the new private key is written (mode 0600)')
    .requiredOption('--cert-out <file>', 'where the certificate is written')
    .addHelpText(
      'after',
      '\nExamples:\n  certctl est enroll --label corp --password "$EST_SECRET" --cn device1.example.com --key-out device1.key --cert-out device1.pem',
    )
    .action(async (options) => {
      if (!KEY_ALGORITHM_NAMES.includes(options.keyAlgorithm))
        throw new CliError(`--key-algorithm is one of ${KEY_ALGORITHM_NAMES.join(', ')}`, EXIT.usage);
      const keys = await generateKeyPair({ algorithm: options.keyAlgorithm as KeyAlgorithmName });
      const csr = await createCsr({ keys, subject: { CN: options.cn }, sans: sansOf(options.san) });
      const url = `${estBase(ctx, options)}/simpleenroll`;
      const http = estHttp(ctx, url, options);
      try {
        const pem = certificatesPem(
          await estCall(http, url, { method: 'POST', body: csr.der, auth: basicAuth(ctx, options) }),
        );
        writeFileSync(options.keyOut, exportPrivateKeyPem(keys.privateKey), { mode: 0o600 });
        writeFileSync(options.certOut, pem);
        ctx.print(summary(pem, options.certOut));
      } finally {
        await http.close();
      }
    });

  addEstOptions(
    est
      .command('reenroll')
      .description('Renew a certificate from its EST server (simplereenroll), authenticated by the current one'),
  )
    .requiredOption('--cert <file>', 'the current certificate (PEM); also the TLS client certificate')
    .requiredOption('--key <file>', 'its private key (PEM)')
    .option('--new-key', 'make a new key instead of keeping the current one')
    .option('--key-algorithm <name>', 'algorithm of a --new-key', 'ecdsa-p256')
    .option('--key-out <file>', 'where a --new-key is written (default: over --key)')
    .requiredOption('--cert-out <file>', 'where the renewed certificate is written')
    .addHelpText(
      'after',
      '\nExamples:\n  certctl est reenroll --label corp --cert device1.pem --key device1.key --cert-out device1.pem',
    )
    .action(async (options) => {
      if (options.newKey && !KEY_ALGORITHM_NAMES.includes(options.keyAlgorithm))
        throw new CliError(`--key-algorithm is one of ${KEY_ALGORITHM_NAMES.join(', ')}`, EXIT.usage);
      const current = parseCertificate(readFileSync(options.cert, 'utf8'));
      const keys = options.newKey
        ? await generateKeyPair({ algorithm: options.keyAlgorithm as KeyAlgorithmName })
        : await (async () => {
            const privateKey = await importPrivateKey(readFileSync(options.key, 'utf8'));
            return { privateKey, publicKey: await publicKeyOf(privateKey) };
          })();
      // RFC 7030 4.2.2: the same subject and subjectAltName as the certificate being renewed. The
      // subject is copied as DER: re-encoding its text may change a string type, and servers compare bytes.
      const sans = (current.sans ?? []).filter((name): name is SubjectAltName =>
        ['dns', 'ip', 'email', 'uri'].includes(name.type),
      );
      const csr = await createCsr({ keys, subject: current.subjectDer, sans });
      const url = `${estBase(ctx, options)}/simplereenroll`;
      const http = estHttp(ctx, url, {
        ...options,
        clientCert: options.clientCert ?? options.cert,
        clientKey: options.clientKey ?? options.key,
      });
      try {
        const pem = certificatesPem(
          await estCall(http, url, { method: 'POST', body: csr.der, auth: basicAuth(ctx, options) }),
        );
        if (options.newKey)
          writeFileSync(options.keyOut ?? options.key, exportPrivateKeyPem(keys.privateKey), { mode: 0o600 });
        writeFileSync(options.certOut, pem);
        ctx.print(summary(pem, options.certOut));
      } finally {
        await http.close();
      }
    });
}

function summary(pem: string, file: string) {
  const cert = parseCertificate(pem);
  return { file, subject: cert.subject, serial: cert.serialNumber, not_after: cert.notAfter };
}
