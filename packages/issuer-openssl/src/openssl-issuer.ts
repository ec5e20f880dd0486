/**
 * The script issuer: each operation runs one operator script through ctx.exec (argv only, no shell,
 * a deadline, no inherited environment). Inputs are checked before a script starts; outputs are
 * parsed and checked before they are believed.
 */
import {
  type ConnectionTestResult,
  type ConnectorContext,
  ConnectorError,
  DeadlineExceededError,
  type ExecResult,
  type GenerateCrlRequest,
  type IssuedCertificate,
  type IssueRequest,
  type IssuerInstance,
  MalformedInputError,
  type RevokeRequest,
  scrubSecrets,
  UnsupportedOperationError,
} from '@certctl/core';
import { assertCertifiesCsrKey, checkedCsrKey } from '@certctl/connector-utils';
import { parseCertificateBundle, parseCrl } from '@certctl/pki';
import { CONNECTOR } from './connector-name.js';
import type { OpensslIssuerConfig } from './openssl-config.js';
import { crlInputLines, generalizedTime, scriptReason, scriptSerial } from './script-arguments.js';
import { checkScriptFile } from './script-file.js';

export interface OpensslIssuer extends Required<Pick<IssuerInstance, 'revoke' | 'generateCrl' | 'testConnection'>> {
  issue(request: IssueRequest): Promise<IssuedCertificate>;
  renew(request: IssueRequest): Promise<IssuedCertificate>;
}

type ScriptName = 'sign' | 'revoke' | 'crl';

/** How much later than asked a certificate may end before we call the cap ignored (clock skew, rounding). */
const NOT_AFTER_SLACK_MS = 5 * 60_000;

export function createOpensslIssuer(config: OpensslIssuerConfig, ctx: ConnectorContext): OpensslIssuer {
  const secretValues = Object.values(config.script_secret_env ?? {});
  const timeoutMs = config.timeout_seconds * 1000;

  const scriptFor = (name: ScriptName): { path: string; field: string } => {
    const path = name === 'sign' ? config.sign_script : name === 'revoke' ? config.revoke_script : config.crl_script;
    if (!path) {
      throw new UnsupportedOperationError({
        connector: CONNECTOR,
        operation: name === 'revoke' ? 'revoke' : 'generateCrl',
        message: `${name === 'revoke' ? 'revoke' : 'generateCrl'} needs ${name}_script in the issuer config`,
      });
    }
    return { path, field: `${name}_script` };
  };

  const run = async (
    name: ScriptName,
    args: string[],
    options: { input?: string; env?: Record<string, string>; signal?: AbortSignal },
  ): Promise<ExecResult> => {
    const { path, field } = scriptFor(name);
    const file = await checkScriptFile(path, field);
    const started = ctx.clock.now().getTime();
    const result = await ctx.exec(file, args, {
      input: options.input,
      timeoutMs,
      signal: options.signal ?? ctx.signal,
      env: { ...config.script_env, ...config.script_secret_env, ...options.env },
    });
    const outcome = result.timedOut ? 'timeout' : result.exitCode === 0 ? 'ok' : 'failed';
    ctx.metrics.increment('openssl_script_runs_total', { script: name, outcome });
    ctx.metrics.observe('openssl_script_duration_seconds', (ctx.clock.now().getTime() - started) / 1000, {
      script: name,
    });
    if (result.timedOut) {
      throw new DeadlineExceededError({
        connector: CONNECTOR,
        message: `${field} ${path} did not finish within ${config.timeout_seconds} s and was killed; raise timeout_seconds if that is normal for this CA`,
      });
    }
    if (result.exitCode !== 0) {
      const stderr = scrubSecrets(result.stderr, secretValues).replace(/\s+/g, ' ').trim().slice(-300);
      throw new ConnectorError({
        connector: CONNECTOR,
        message: `${field} ${path} exited with ${result.exitCode ?? `signal ${result.signal}`}${stderr ? `: ${stderr}` : ''}`,
      });
    }
    return result;
  };

  const issue = async (request: IssueRequest): Promise<IssuedCertificate> => {
    const { spki: csrSpki } = await checkedCsrKey(request.csrPem, { connector: CONNECTOR });
    const now = ctx.clock.now();
    const notAfterCap =
      request.maxTtlSeconds === undefined ? undefined : new Date(now.getTime() + request.maxTtlSeconds * 1000);
    const env: Record<string, string> = {};
    if (notAfterCap) env.CERTCTL_NOT_AFTER = generalizedTime(new Date(Math.floor(notAfterCap.getTime() / 1000) * 1000));
    const result = await run('sign', [], { input: request.csrPem, env, signal: request.signal });

    let bundle: ReturnType<typeof parseCertificateBundle>;
    try {
      bundle = parseCertificateBundle(result.stdout);
    } catch (cause) {
      throw new MalformedInputError({
        connector: CONNECTOR,
        inputKind: 'certificate',
        message: 'sign_script printed something that is not a PEM certificate bundle',
        cause,
      });
    }
    const [leaf, ...chain] = bundle;
    if (!leaf) {
      throw new MalformedInputError({
        connector: CONNECTOR,
        inputKind: 'certificate',
        message: 'sign_script exited 0 but printed no certificate',
      });
    }
    assertCertifiesCsrKey(leaf, csrSpki, {
      connector: CONNECTOR,
      message:
        "sign_script printed a certificate for another key than the CSR's; it must print the new certificate first",
    });
    if (notAfterCap && leaf.notAfter.getTime() > notAfterCap.getTime() + NOT_AFTER_SLACK_MS) {
      throw new ConnectorError({
        connector: CONNECTOR,
        message: `sign_script issued serial ${leaf.serialNumber} valid until ${leaf.notAfter.toISOString()}, past the profile's limit ${notAfterCap.toISOString()}; make the script honour CERTCTL_NOT_AFTER and revoke that certificate`,
      });
    }
    ctx.logger.info(
      { serial: leaf.serialNumber, notAfter: leaf.notAfter.toISOString() },
      'sign_script issued a certificate',
    );
    return {
      status: 'issued',
      certificatePem: leaf.pem,
      chainPem: chain.map((c) => c.pem),
      serial: leaf.serialNumber,
      notBefore: leaf.notBefore,
      notAfter: leaf.notAfter,
    };
  };

  return {
    issue,
    renew: issue,
    async revoke(request: RevokeRequest) {
      const serial = scriptSerial(request.serial);
      const reason = scriptReason(request.reason);
      await run('revoke', [serial, reason.name, String(reason.code)], { signal: request.signal });
      ctx.logger.info({ serial, reason: reason.name }, 'revoke_script revoked a certificate');
    },
    async generateCrl(request: GenerateCrlRequest) {
      if (request.crlNumber < 0n) {
        throw new MalformedInputError({
          connector: CONNECTOR,
          inputKind: 'crl-number',
          message: 'the CRL number must not be negative',
        });
      }
      const input = crlInputLines(request.entries);
      const result = await run('crl', [], {
        input,
        signal: request.signal,
        env: {
          CERTCTL_CRL_NUMBER: request.crlNumber.toString(10),
          CERTCTL_CRL_LAST_UPDATE: generalizedTime(request.thisUpdate),
          CERTCTL_CRL_NEXT_UPDATE: generalizedTime(request.nextUpdate),
        },
      });
      // DER arrives as bytes from connector-utils' runner; a script may also print PEM.
      const output = /-----BEGIN X509 CRL-----/.test(result.stdout) ? result.stdout : result.stdoutBytes;
      if (output === undefined || output.length === 0) {
        throw new MalformedInputError({
          connector: CONNECTOR,
          inputKind: 'crl',
          message: 'crl_script exited 0 but printed no CRL',
        });
      }
      try {
        return parseCrl(output).der;
      } catch (cause) {
        throw new MalformedInputError({
          connector: CONNECTOR,
          inputKind: 'crl',
          message: 'crl_script printed something that is not a DER (or PEM) CRL',
          cause,
        });
      }
    },
    async testConnection(): Promise<ConnectionTestResult> {
      const checked: string[] = [];
      for (const name of ['sign', 'revoke', 'crl'] as const) {
        const path =
          name === 'sign' ? config.sign_script : name === 'revoke' ? config.revoke_script : config.crl_script;
        if (!path) continue;
        await checkScriptFile(path, `${name}_script`);
        checked.push(`${name}_script ${path}`);
      }
      return { ok: true, detail: `executable and safely owned: ${checked.join(', ')}` };
    },
  };
}
