/**
 * An RFC 8555 issuer on acme-client: account registration (EAB, ZeroSSL auto-EAB), orders with
 * optional ACME profile and ARI `replaces`, HTTP-01 / DNS-01 / DNS-PERSIST-01 challenges, revocation
 * by certificate, and RFC 9773 renewal information. Issuance completes within one call (no pending
 * orders): challenges are answered by this process and take seconds.
 */
import { readFile } from 'node:fs/promises';
import {
  ConfigValidationError,
  type ConnectionTestResult,
  type ConnectorContext,
  ConnectorError,
  type GetOrderOptions,
  type IssuedCertificate,
  type IssueRequest,
  type IssueResult,
  type IssuerInstance,
  MalformedInputError,
  type OrderResult,
  type RenewalInfo,
  type RevokeRequest,
  UnsupportedOperationError,
  VendorApiError,
} from '@certctl/core';
import { createDeadlineSignal, createHttpClient, type HttpClient } from '@certctl/connector-utils';
import { ariCertificateId, derToPem, parseCertificate, parseCsr, splitPemBundle } from '@certctl/pki';
import { loadAccount, newAccountKeyPem, saveAccount, type StoredAccount } from './acme-account.js';
import type { AcmeIssuerConfig } from './acme-config.js';
import { toConnectorError } from './acme-errors.js';
import { type AcmeDirectory, type AcmeSession, openAcmeSession } from './acme-session.js';
import { solveAuthorizations } from './challenge-solver.js';
import {
  type AcmeOrder,
  delegatedChallenges,
  forgetOrder,
  orderCsr,
  orderFailure,
  pendingForAgent,
  rememberOrderCsr,
  validatePresented,
} from './delegated-order.js';
import { CONNECTOR } from './connector-name.js';
import { createHttp01Responder, createHttp01Webroot, type Http01Publisher } from './http01-responder.js';
import { parseRenewalInfo, renewalInfoUrl } from './renewal-info.js';
import { acmeRevocationCode } from './revocation-code.js';
import { type EabCredentials, fetchZeroSslEab, isZeroSslDirectory } from './zerossl-eab.js';

export interface AcmeIssuer
  extends Required<Pick<IssuerInstance, 'revoke' | 'renewalInfo' | 'testConnection' | 'stop'>> {
  /** Issued within the call; pending with the challenges to serve when `http_served_by` is `agent`. */
  issue(request: IssueRequest): Promise<IssueResult>;
  renew(request: IssueRequest): Promise<IssueResult>;
  /** Follows an order waiting for the agent (see delegated-order.ts). */
  getOrder(orderId: string, options?: GetOrderOptions): Promise<OrderResult>;
}

/** Knobs for tests and embedders; operators configure through the JSON config. */
export interface AcmeIssuerOptions {
  /** Where ZeroSSL EAB credentials are fetched (tests point it at a fake). */
  zeroSslEabEndpoint?: string;
  /** Directory hosts treated as ZeroSSL; default `acme.zerossl.com`. */
  zeroSslDirectoryHosts?: ReadonlySet<string>;
  /** acme-client's polling backoff in ms; default 500 to 5000. */
  backoff?: { min: number; max: number };
  userAgent?: string;
}

type AcmeIdentifier = { type: 'dns' | 'ip'; value: string };

function identifiersFor(request: IssueRequest): AcmeIdentifier[] {
  const dns = new Set(request.sans.dns.map((d) => d.toLowerCase()));
  const ip = new Set(request.sans.ip);
  if (request.commonName && dns.size === 0 && ip.size === 0) dns.add(request.commonName.toLowerCase());
  const identifiers: AcmeIdentifier[] = [
    ...[...dns].map((value) => ({ type: 'dns' as const, value })),
    ...[...ip].map((value) => ({ type: 'ip' as const, value })),
  ];
  if (identifiers.length === 0) {
    throw new MalformedInputError({
      connector: CONNECTOR,
      inputKind: 'issue-request',
      message: 'an ACME order needs at least one DNS name or IP address',
    });
  }
  return identifiers;
}

export function createAcmeIssuer(
  config: AcmeIssuerConfig,
  ctx: ConnectorContext,
  options: AcmeIssuerOptions = {},
): AcmeIssuer {
  const userAgent = options.userAgent ?? 'certctl-issuer-acme';
  const backoff = { min: options.backoff?.min ?? 500, max: options.backoff?.max ?? 5000 };
  const http01: Http01Publisher = config.http_webroot
    ? createHttp01Webroot(config.http_webroot)
    : createHttp01Responder({ port: config.http_port, host: config.http_bind_address });

  // Deadline of one CA request; the operation's own deadline (order_timeout_seconds ...) bounds the whole.
  const requestTimeoutMs = 30_000;
  const retries = { maxAttempts: 4, baseDelayMs: 250, maxDelayMs: 5000, maxRetryAfterMs: 30_000 };
  /** Public endpoints next to the CA (ZeroSSL's EAB API), under the app's network policy. */
  const appHttp = createHttpClient({ connector: CONNECTOR, context: ctx, timeoutMs: requestTimeoutMs, userAgent });

  let caHttp: Promise<HttpClient> | undefined;
  /** The client that reaches the CA: under the app's network policy, or trusting ca_bundle_path for a private ACME CA. */
  const httpForCa = (): Promise<HttpClient> => {
    caHttp ??= (async () => {
      if (!config.ca_bundle_path) {
        return createHttpClient({
          connector: CONNECTOR,
          context: ctx,
          timeoutMs: requestTimeoutMs,
          retries,
          userAgent,
        });
      }
      let ca: string;
      try {
        ca = await readFile(config.ca_bundle_path, 'utf8');
      } catch (cause) {
        caHttp = undefined;
        throw new ConfigValidationError({
          connector: CONNECTOR,
          issues: [
            {
              path: 'ca_bundle_path',
              message: `cannot read ${config.ca_bundle_path}: ${(cause as NodeJS.ErrnoException).code ?? cause}`,
            },
          ],
        });
      }
      // A private ACME CA is trusted for TLS here, but reached under the app's network policy like
      // every other host: a config never widens where the connector may connect (the operator allows
      // a private CA's host in the app, e.g. CERTCTL_NETWORK_ALLOW on the server).
      return createHttpClient({
        connector: CONNECTOR,
        context: ctx,
        ca,
        timeoutMs: requestTimeoutMs,
        retries,
        userAgent,
      });
    })();
    return caHttp;
  };

  /**
   * Runs one operation under its deadline, the caller's signal and the connector's (without
   * AbortSignal.any on the long-lived ctx.signal), with errors made typed.
   */
  const underDeadline = async <T>(
    operation: string,
    callerSignal: AbortSignal | undefined,
    seconds: number,
    run: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> => {
    const deadline = createDeadlineSignal(seconds * 1000, [ctx.signal, callerSignal]);
    try {
      return await run(deadline.signal);
    } catch (error) {
      throw toConnectorError(error, operation, deadline.signal);
    } finally {
      deadline.dispose();
    }
  };

  const session = async (
    account: Pick<StoredAccount, 'accountKeyPem'> & { accountUrl?: string },
    signal: AbortSignal,
    eab?: EabCredentials,
  ) =>
    openAcmeSession({
      directoryUrl: config.directory_url,
      accountKeyPem: account.accountKeyPem,
      accountUrl: account.accountUrl || undefined,
      eab,
      http: await httpForCa(),
      signal,
      backoff: { ...backoff, attempts: Math.max(5, Math.ceil((config.order_timeout_seconds * 1000) / backoff.max)) },
    });

  let registering: Promise<StoredAccount> | undefined;
  const ensureAccount = (signal: AbortSignal): Promise<StoredAccount> => {
    registering ??= (async () => {
      const stored = await loadAccount(ctx.secrets, config.directory_url);
      if (stored?.accountUrl) return stored;
      const accountKeyPem = stored?.accountKeyPem ?? newAccountKeyPem();
      let eab: EabCredentials | undefined =
        config.eab_kid && config.eab_hmac ? { kid: config.eab_kid, hmacKey: config.eab_hmac } : undefined;
      if (!eab && isZeroSslDirectory(config.directory_url, options.zeroSslDirectoryHosts)) {
        if (!config.email) {
          throw new ConfigValidationError({
            connector: CONNECTOR,
            issues: [
              { path: 'email', message: 'ZeroSSL needs EAB: set email (for automatic EAB) or eab_kid and eab_hmac' },
            ],
          });
        }
        eab = await fetchZeroSslEab(appHttp, config.email, { endpoint: options.zeroSslEabEndpoint, signal });
        ctx.logger.info({ eabKid: eab.kid }, 'fetched ZeroSSL EAB credentials for the configured email');
      }
      const { client } = await session({ accountKeyPem }, signal, eab);
      await client.createAccount({
        termsOfServiceAgreed: true,
        contact: config.email ? [`mailto:${config.email}`] : [],
      });
      const account = { directoryUrl: config.directory_url, accountKeyPem, accountUrl: client.getAccountUrl() };
      await saveAccount(ctx.secrets, account);
      ctx.logger.info({ accountUrl: account.accountUrl }, 'ACME account registered');
      return account;
    })().finally(() => {
      registering = undefined;
    });
    return registering;
  };

  async function orderPayload(s: AcmeSession, request: IssueRequest): Promise<Record<string, unknown>> {
    const payload: Record<string, unknown> = { identifiers: identifiersFor(request) };
    const directory: AcmeDirectory = await s.http.getDirectory();
    // request.profile names a certctl profile, not an ACME one: only the config chooses the ACME profile.
    if (config.profile) {
      const profiles = directory.meta?.profiles;
      if (!profiles || !Object.hasOwn(profiles, config.profile)) {
        throw new UnsupportedOperationError({
          connector: CONNECTOR,
          operation: 'profile',
          message: profiles
            ? `the CA has no ACME profile "${config.profile}" (it offers ${Object.keys(profiles).join(', ')})`
            : `the CA does not support ACME profiles; unset profile`,
        });
      }
      payload.profile = config.profile;
    }
    if (request.replacesCertificatePem && directory.renewalInfo) {
      try {
        payload.replaces = ariCertificateId(request.replacesCertificatePem);
      } catch {
        // No AKI in the old certificate: order without `replaces` rather than fail the renewal.
      }
    }
    return payload;
  }

  async function issue(request: IssueRequest): Promise<IssueResult> {
    try {
      parseCsr(request.csrPem);
    } catch (cause) {
      if (ConnectorError.isInstance(cause)) throw cause;
      throw new MalformedInputError({
        connector: CONNECTOR,
        inputKind: 'csr',
        message: 'the CSR is not a valid PKCS#10 request',
        cause,
      });
    }
    return underDeadline('ACME order', request.signal, config.order_timeout_seconds, async (signal) => {
      const account = await ensureAccount(signal);
      const s = await session(account, signal);
      const payload = await orderPayload(s, request);
      const order = await s.client.createOrder(payload as never).catch(async (error: unknown) => {
        // RFC 9773 section 5: the old certificate was already replaced (say, by an earlier attempt of
        // this renewal whose result was lost); a plain order is still what the operator wants.
        if (payload.replaces === undefined || !s.lastProblem()?.type?.endsWith(':alreadyReplaced')) throw error;
        ctx.logger.warn(
          { replaces: payload.replaces },
          'the CA says this certificate was already replaced; ordering without replaces',
        );
        const { replaces: _replaced, ...plain } = payload;
        return s.client.createOrder(plain as never);
      });
      const authzs = await s.client.getAuthorizations(order);
      if (config.http_served_by === 'agent') {
        const challenges = await delegatedChallenges(s.client, authzs);
        if (challenges.length > 0) {
          await rememberOrderCsr(ctx.secrets, order.url, request.csrPem);
          ctx.metrics.increment('acme_orders_total', { outcome: 'waiting_for_agent' });
          return pendingForAgent(order.url, challenges);
        }
      } else {
        await solveAuthorizations(authzs, {
          client: s.client,
          config,
          ctx,
          http01,
          accountUrl: account.accountUrl,
          signal,
        });
      }
      const finalized = await s.client.finalizeOrder(order, request.csrPem);
      return download(s, finalized as unknown as AcmeOrder);
    }).catch((error: unknown) => {
      ctx.metrics.increment('acme_orders_total', { outcome: 'failed' });
      throw error;
    });
  }

  async function download(s: AcmeSession, order: AcmeOrder): Promise<IssuedCertificate> {
    const pem = await s.client.getCertificate(order as never);
    const blocks = splitPemBundle(pem).filter((b) => b.label === 'CERTIFICATE');
    if (blocks.length === 0) {
      throw new VendorApiError({
        connector: CONNECTOR,
        message: `order ${order.url} returned no certificate`,
        retryable: false,
      });
    }
    const pems = blocks.map((b) => derToPem(b.der, 'CERTIFICATE'));
    const leaf = parseCertificate(pems[0]!);
    ctx.metrics.increment('acme_orders_total', { outcome: 'issued' });
    return {
      status: 'issued' as const,
      certificatePem: pems[0]!,
      chainPem: pems.slice(1),
      serial: leaf.serialNumber,
      notBefore: leaf.notBefore,
      notAfter: leaf.notAfter,
      orderId: order.url,
    };
  }

  /**
   * An order waiting for the agent: its challenges again while they are not served yet (the app may
   * have lost them), else validation, finalization with the kept CSR, and the certificate.
   */
  async function getOrder(orderId: string, opts: GetOrderOptions = {}): Promise<OrderResult> {
    return underDeadline(`ACME order ${orderId}`, opts.signal, config.order_timeout_seconds, async (signal) => {
      const account = await ensureAccount(signal);
      const s = await session(account, signal);
      let order = (await s.client.getOrder({ url: orderId } as never)) as unknown as AcmeOrder;
      if (order.status === 'pending') {
        const authzs = await s.client.getAuthorizations(order as never);
        if (!opts.challengesPresented) return pendingForAgent(orderId, await delegatedChallenges(s.client, authzs));
        try {
          await validatePresented(s.client, authzs);
        } catch (error) {
          order = (await s.client.getOrder({ url: orderId } as never)) as unknown as AcmeOrder;
          if (order.status !== 'invalid') throw error;
        }
        order = (await s.client.getOrder({ url: orderId } as never)) as unknown as AcmeOrder;
      }
      if (order.status === 'invalid') {
        await forgetOrder(ctx.secrets, orderId);
        ctx.metrics.increment('acme_orders_total', { outcome: 'failed' });
        return orderFailure(s.client, order);
      }
      if (order.status === 'ready') {
        order = (await s.client.finalizeOrder(
          order as never,
          await orderCsr(ctx.secrets, orderId),
        )) as unknown as AcmeOrder;
      }
      // processing or valid: getCertificate waits for the CA to finish.
      const issued = await download(s, order);
      await forgetOrder(ctx.secrets, orderId);
      return issued;
    });
  }

  async function revoke(request: RevokeRequest): Promise<void> {
    const reason = acmeRevocationCode(request.reason);
    if (!request.certificatePem) {
      throw new MalformedInputError({
        connector: CONNECTOR,
        inputKind: 'revoke-request',
        message: `ACME revokes by certificate (RFC 8555 section 7.6) and certctl has no stored certificate for serial ${request.serial}; only certificates issued through certctl can be revoked by serial`,
      });
    }
    const leafDer = splitPemBundle(request.certificatePem).find((b) => b.label === 'CERTIFICATE')?.der;
    const leaf = leafDer ? parseCertificate(leafDer) : undefined;
    const wanted = request.serial.toLowerCase().replace(/^(00)+(?=.)/, '');
    if (!leaf || leaf.serialNumber !== wanted) {
      throw new MalformedInputError({
        connector: CONNECTOR,
        inputKind: 'revoke-request',
        message: `the stored certificate does not have serial ${request.serial}; refusing to revoke a different certificate`,
      });
    }
    await underDeadline(`revocation of ${wanted}`, request.signal, 120, async (signal) => {
      const account = await ensureAccount(signal);
      const s = await session(account, signal);
      await s.client.revokeCertificate(leaf.pem, { reason });
    });
  }

  async function renewalInfo(
    certificatePem: string,
    opts: { signal?: AbortSignal } = {},
  ): Promise<RenewalInfo | undefined> {
    if (!config.ari_enabled) return undefined;
    return underDeadline('renewalInfo', opts.signal, config.ari_http_timeout_seconds, async (signal) => {
      // Any key will do: directory and renewalInfo are unauthenticated GETs.
      const s = await session({ accountKeyPem: await anyAccountKey() }, signal);
      const directory = await s.http.getDirectory();
      if (!directory.renewalInfo) return undefined;
      let url: string;
      try {
        url = renewalInfoUrl(directory.renewalInfo, certificatePem);
      } catch {
        return undefined; // no AKI: the certificate has no ARI id, use the policy window
      }
      return parseRenewalInfo(await s.get(url), ctx.clock.now());
    });
  }

  let spareKey: string | undefined;
  async function anyAccountKey(): Promise<string> {
    const stored = await loadAccount(ctx.secrets, config.directory_url);
    spareKey ??= stored?.accountKeyPem ?? newAccountKeyPem();
    return stored?.accountKeyPem ?? spareKey;
  }

  async function testConnection(opts: { signal?: AbortSignal } = {}): Promise<ConnectionTestResult> {
    return underDeadline('connection test', opts.signal, 60, async (signal) => {
      const account = await ensureAccount(signal);
      const s = await session(account, signal);
      const directory = await s.http.getDirectory();
      const extras = [
        directory.renewalInfo ? 'ARI' : undefined,
        directory.meta?.profiles ? 'profiles' : undefined,
      ].filter(Boolean);
      return {
        ok: true as const,
        detail: `directory reachable${extras.length ? ` (${extras.join(', ')})` : ''}, account ${account.accountUrl}`,
      };
    });
  }

  return {
    issue,
    renew: issue,
    getOrder,
    revoke,
    renewalInfo,
    testConnection,
    async stop() {
      await http01.close();
      const ca = caHttp;
      caHttp = undefined;
      await Promise.all([
        appHttp.close(),
        ca?.then(
          (client) => client.close(),
          () => undefined,
        ),
      ]);
    },
  };
}
