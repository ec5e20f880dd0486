import { arch, hostname, networkInterfaces, release, type as osType } from 'node:os';
import { isIP } from 'node:net';
import type { ConnectorLogger } from '@certctl/core';
import { createHttp01Webroot, fullJitterDelay, type Prober, sleepWithSignal } from '@certctl/connector-utils';
import { certificateFingerprint, createCsr, readCertificateSummary, type SubjectAltName } from '@certctl/pki';
import { deployMetadata } from '@certctl/wire';
import type { AgentConfig } from './agent-config.js';
import {
  type AgentIdentity,
  type AgentState,
  createAgentState,
  type JournalEntry,
  journalKey,
  type WorkItem,
} from './agent-state.js';
import { scanDirectories } from './discovery-scan.js';
import { runHandedNetworkScan } from './network-scan-work.js';
import { verifyEndpoint, verifySettingsOf } from './endpoint-verify.js';
import { createKeyStore, keyAlgorithmFor } from './key-store.js';
import {
  type AgentReport,
  createServerClient,
  type ReportAnswer,
  readCaFile,
  type ServerClient,
  ServerRequestError,
} from './server-client.js';
import type { TargetRegistry } from './target-registry.js';
import { installedTargetTypes, isTargetTypesRefusal, TARGET_TYPES_REFRESH_MS } from './target-types-report.js';

/** The steps after which a job's progress is on disk; tests stop the agent there to prove it resumes. */
export type JournalStep = 'key-ready' | 'csr-submitted' | 'deployed';

export interface CertctlAgentOptions {
  config: AgentConfig;
  logger: ConnectorLogger;
  targets: TargetRegistry;
  version: string;
  client?: ServerClient;
  /** Jitter source in [0, 1). */
  random?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Milliseconds since the epoch (tests move it to reach the hourly target types refresh). */
  now?: () => number;
  /** Called after each journal write; a test throws here to simulate a crash at that point. */
  afterStep?: (step: JournalStep, jobId: string) => void | Promise<void>;
  /** The TLS probe of network scans (a test may wrap it); default connector-utils' probe. */
  networkProbe?: Prober;
}

/**
 * The agent is done for good: `retired` by an operator (410, or its own key revoked: 401), or it
 * cannot register (no bootstrap token, or the server refused it): `unregistered`.
 */
export class AgentStoppedError extends Error {
  override name = 'AgentStoppedError';
  constructor(
    message: string,
    readonly reason: 'retired' | 'unregistered',
  ) {
    super(message);
  }
}

const DISCOVERY_BATCH = 200;
const FIELD_MAX = 64;

function hostAddresses(): string {
  const all = Object.values(networkInterfaces())
    .flat()
    .filter((a) => a && !a.internal)
    .map((a) => a?.address as string);
  let out = '';
  for (const address of all) {
    const next = out ? `${out},${address}` : address;
    if (next.length > FIELD_MAX) break;
    out = next;
  }
  return out;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));
/** A target's deploy metadata as the job report carries it: the entries the protocol accepts, at most 32. */
function reportableMetadata(metadata: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!metadata) return undefined;
  const entries = Object.entries(metadata)
    .filter(([key, value]) => deployMetadata.safeParse({ [key]: value }).success)
    .slice(0, 32);
  return entries.length ? Object.fromEntries(entries) : undefined;
}

const isFinalAnswer = (error: unknown) =>
  error instanceof ServerRequestError && (error.status === 404 || error.status === 409);

function subjectAltNames(item: WorkItem): SubjectAltName[] {
  const names = [...new Set([item.common_name, ...item.sans].filter(Boolean))];
  return names.map((value) =>
    isIP(value) ? { type: 'ip', value } : value.includes('@') ? { type: 'email', value } : { type: 'dns', value },
  );
}

export function createCertctlAgent(options: CertctlAgentOptions) {
  const { config, logger, targets } = options;
  const client =
    options.client ??
    createServerClient({
      serverUrl: config.serverUrl,
      caPem: readCaFile(config.serverCaFile),
      timeoutMs: config.httpTimeoutMs,
      userAgent: `certctl-agent/${options.version}`,
    });
  const state: AgentState = createAgentState(config.stateDir);
  const keys = createKeyStore(config.keyDir);
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? sleepWithSignal;
  const now = options.now ?? Date.now;
  let identity: AgentIdentity | undefined;
  /** When to offer the target types again: at start, then hourly; an hour after a server refused the field. */
  let nextTargetTypesAt = 0;
  /** When to ask for network scans again after a server without them answered 404 (an hour later). */
  let nextNetworkScansAt = 0;

  const metadata = () => ({
    hostname: hostname().slice(0, 253),
    os: `${osType()} ${release()}`.slice(0, FIELD_MAX),
    architecture: arch(),
    ip_address: hostAddresses(),
    version: options.version.slice(0, FIELD_MAX),
  });
  const step = async (name: JournalStep, jobId: string) => options.afterStep?.(name, jobId);

  /**
   * Sends a register or heartbeat report with the installed target types (and their config
   * schemas, so the server can check target configs and encrypt their secrets) when they are due.
   * A server that refuses the field (older than it) gets the report without it, and the field is
   * offered again an hour later; any other refusal is not about the field and is thrown as is.
   */
  async function sendReport<T extends ReportAnswer>(send: (report: AgentReport) => Promise<T>): Promise<T> {
    if (now() < nextTargetTypesAt) return send(metadata());
    let answer: T;
    try {
      answer = await send({ ...metadata(), target_types: installedTargetTypes(targets.registry) });
    } catch (error) {
      if (!isTargetTypesRefusal(error)) throw error;
      nextTargetTypesAt = now() + TARGET_TYPES_REFRESH_MS;
      logger.warn(
        { error: message(error) },
        'the server does not accept target_types (older than this agent?); reporting without them, so it stores target configs unchecked',
      );
      return send(metadata());
    }
    nextTargetTypesAt = now() + TARGET_TYPES_REFRESH_MS;
    for (const rejected of answer?.rejected_target_types ?? [])
      logger.warn(
        { target_type: rejected.type, reason: rejected.reason },
        'the server cannot use the config schema of this target type; it stores its target configs unchecked',
      );
    return answer;
  }

  let registering: Promise<AgentIdentity> | undefined;
  /** Loads the stored identity, or registers (once, however many callers ask at the same time). */
  function ensureRegistered(signal: AbortSignal): Promise<AgentIdentity> {
    if (identity) return Promise.resolve(identity);
    registering ??= loadOrRegister(signal).finally(() => {
      registering = undefined;
    });
    return registering;
  }

  /** The stored identity, or a registration with the bootstrap token whose API key is stored 0600. */
  async function loadOrRegister(signal: AbortSignal): Promise<AgentIdentity> {
    const stored = await state.readIdentity();
    if (stored) {
      identity = stored;
    } else {
      if (!config.bootstrapToken)
        throw new AgentStoppedError(
          `not registered yet and CERTCTL_AGENT_BOOTSTRAP_TOKEN is not set: set it for the first start (the agent then keeps its own key in ${state.identityPath})`,
          'unregistered',
        );
      const token = config.bootstrapToken;
      const registered = await sendReport((report) =>
        client.register(token, { ...report, name: config.agentName }, signal),
      ).catch((error) => {
        if (error instanceof ServerRequestError && (error.status === 401 || error.status === 403))
          throw new AgentStoppedError(
            `the server refused the registration: ${error.message} (check CERTCTL_AGENT_BOOTSTRAP_TOKEN)`,
            'unregistered',
          );
        throw error;
      });
      identity = {
        agent_id: registered.id,
        api_key: registered.api_key,
        server_url: config.serverUrl.href,
        registered_at: new Date().toISOString(),
      };
      await state.writeIdentity(identity);
      logger.info({ agent_id: identity.agent_id, name: config.agentName }, 'registered with the server');
    }
    client.setApiKey(identity.api_key);
    return identity;
  }

  async function call<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof ServerRequestError && error.status === 410)
        throw new AgentStoppedError(
          `this agent has been retired on the server; stopping (${error.message.replace(/^.*?: 410 /, '')})`,
          'retired',
        );
      // A revoked key (an operator revoked it, or a server older than 410-on-retire) means the same thing.
      if (error instanceof ServerRequestError && error.status === 401)
        throw new AgentStoppedError(
          `the server no longer accepts this agent's key (retired or revoked); stopping. To register again, remove ${state.identityPath}`,
          'retired',
        );
      throw error;
    }
  }

  async function heartbeat(signal: AbortSignal): Promise<void> {
    const { agent_id } = await ensureRegistered(signal);
    await call(() => sendReport((report) => client.heartbeat(agent_id, report, signal)));
    logger.debug({ agent_id }, 'heartbeat sent');
  }

  async function handleCsr(agentId: string, item: WorkItem, signal: AbortSignal): Promise<void> {
    const log = logger.child({ job_id: item.job_id, certificate_id: item.certificate_id });
    let algorithm: ReturnType<typeof keyAlgorithmFor>;
    try {
      algorithm = keyAlgorithmFor(item.key_algorithm);
    } catch (error) {
      await call(() => client.jobStatus(agentId, item.job_id, { status: 'failed', error: message(error) }, signal));
      return;
    }
    const key = await keys.keyForJob(item.certificate_id, item.job_id, algorithm);
    await state.put({ item, phase: 'key-ready', key_file: key.path });
    log.info(
      { algorithm, key_file: key.path, reused: !key.created },
      key.created ? 'generated a private key' : 'reusing the key made for this job before a restart',
    );
    await step('key-ready', item.job_id);
    const csr = await createCsr({ keys: key.keys, subject: { CN: item.common_name }, sans: subjectAltNames(item) });
    try {
      await call(() => client.submitCsr(agentId, item.certificate_id, csr.pem, signal));
    } catch (error) {
      if (error instanceof ServerRequestError && !error.retryable) {
        log.error({ error: message(error) }, 'the server refused the CSR');
        await call(() =>
          client.jobStatus(agentId, item.job_id, { status: 'failed', error: `CSR refused: ${message(error)}` }, signal),
        ).catch((e) => log.warn({ error: message(e) }, 'could not report the failure'));
        await state.remove(item.job_id);
        return;
      }
      throw error;
    }
    await state.put({ item, phase: 'csr-submitted', key_file: key.path });
    log.info('CSR submitted');
    await step('csr-submitted', item.job_id);
  }

  async function report(agentId: string, entry: JournalEntry, signal: AbortSignal): Promise<void> {
    const { item, outcome } = entry;
    if (!outcome) return;
    const log = logger.child({ job_id: item.job_id, certificate_id: item.certificate_id, target_id: item.target_id });
    const body = {
      status: outcome.status,
      ...(outcome.error && { error: outcome.error }),
      ...(outcome.verification && { verification: outcome.verification }),
    };
    try {
      try {
        await call(() =>
          client.jobStatus(
            agentId,
            item.job_id,
            { ...body, ...(outcome.metadata && { metadata: outcome.metadata }) },
            signal,
          ),
        );
      } catch (error) {
        // A server from before deploy metadata refuses the field (400): the report itself must still get through.
        if (!(outcome.metadata && error instanceof ServerRequestError && error.status === 400)) throw error;
        log.warn({ metadata: outcome.metadata }, 'the server does not take deploy metadata; reporting without it');
        await call(() => client.jobStatus(agentId, item.job_id, body, signal));
      }
    } catch (error) {
      if (!isFinalAnswer(error)) throw error;
      log.warn({ error: message(error) }, 'the server no longer expects this job; dropping it');
    }
    await state.remove(item.job_id);
    if (outcome.status === 'succeeded' && entry.key_file) {
      const removed = await keys.retireOlderThan(item.certificate_id, entry.key_file).catch(() => []);
      if (removed.length) log.info({ removed: removed.length }, 'new certificate confirmed; previous keys removed');
    }
    log[outcome.status === 'succeeded' ? 'info' : 'error'](
      { status: outcome.status, error: outcome.error, verified: outcome.verification?.verified },
      'deployment reported',
    );
  }

  async function handleDeployment(agentId: string, item: WorkItem, signal: AbortSignal): Promise<void> {
    const log = logger.child({
      job_id: item.job_id,
      certificate_id: item.certificate_id,
      target_id: item.target_id,
      target_type: item.target_type,
    });
    const known = await state.get(item.job_id);
    if (known?.phase === 'deployed' && known.outcome) {
      log.info('already deployed before a restart; reporting without deploying again');
      await report(agentId, known, signal);
      return;
    }
    try {
      await call(() => client.jobStatus(agentId, item.job_id, { status: 'running' }, signal));
    } catch (error) {
      if (!isFinalAnswer(error)) throw error;
      log.warn({ error: message(error) }, 'job is no longer running on the server; skipping');
      await state.remove(item.job_id);
      return;
    }
    const issued = await call(() => client.certificate(agentId, item.certificate_id, signal));
    const summary = readCertificateSummary(issued.certificate_pem);
    const fingerprint = certificateFingerprint(summary.der).hex;
    const key = await keys.keyMatching(item.certificate_id, summary.spki);
    const fail = async (error: string) => {
      const entry = {
        item,
        phase: 'deployed' as const,
        fingerprint_sha256: fingerprint,
        outcome: { status: 'failed' as const, error },
      };
      await state.put(entry);
      await report(agentId, { ...entry, updated_at: '' }, signal);
    };
    if (!key)
      return fail(
        `no private key on this agent matches certificate serial ${summary.serialNumber} (its CSR was not made here)`,
      );
    if (!item.target_type || !item.target_id) return fail('the deployment names no target');
    await state.put({ item, phase: 'deploying', key_file: key.path, fingerprint_sha256: fingerprint });
    let outcome: NonNullable<JournalEntry['outcome']>;
    try {
      const runtime = await targets.runtimeFor(item.target_id, item.target_type, item.target_config ?? {});
      const result = await runtime.deploy({
        certPem: issued.certificate_pem,
        chainPem: issued.chain_pem,
        keyPem: key.pem,
        serial: summary.serialNumber,
        fingerprintSha256: fingerprint,
        metadata: { certificate_id: item.certificate_id, job_id: item.job_id, target_id: item.target_id },
        signal,
      });
      log.info(
        { changed: result.changed, detail: result.detail, serial: summary.serialNumber, metadata: result.metadata },
        'deployed',
      );
      const verify = config.verifyDeployment ? verifySettingsOf(item.target_config) : undefined;
      if (verify && config.verifyDelayMs > 0) await sleepWithSignal(config.verifyDelayMs, signal);
      const verification = verify
        ? await verifyEndpoint({
            endpoint: verify.endpoint,
            serverName: verify.serverName,
            expectedFingerprint: fingerprint,
            timeoutMs: config.verifyTimeoutMs,
            signal,
          })
        : undefined;
      const metadata = reportableMetadata(result.metadata);
      outcome =
        verification && !verification.verified
          ? {
              status: 'failed',
              error: `deployed, but ${verification.endpoint}: ${verification.detail}`,
              verification,
              ...(metadata && { metadata }),
            }
          : { status: 'succeeded', ...(verification && { verification }), ...(metadata && { metadata }) };
    } catch (error) {
      // Shutting down past the grace period: not a failure of the deploy. The journal says
      // `deploying`, so the next start runs it again (targets are idempotent).
      if (signal.aborted) throw error;
      outcome = { status: 'failed', error: message(error).slice(0, 3900) };
    }
    await state.put({ item, phase: 'deployed', key_file: key.path, fingerprint_sha256: fingerprint, outcome });
    await step('deployed', item.job_id);
    await report(
      agentId,
      { item, phase: 'deployed', key_file: key.path, fingerprint_sha256: fingerprint, outcome, updated_at: '' },
      signal,
    );
  }

  /**
   * An ACME order's HTTP-01 tokens: written once under CERTCTL_HTTP01_WEBROOT and reported served;
   * they stay while the server lists the challenge (the CA validates meanwhile) and go when it no
   * longer does (see withdrawHttp01). A write that fails is undone and reported with its reason.
   */
  async function handleHttp01(agentId: string, item: WorkItem, signal: AbortSignal): Promise<void> {
    if (!item.challenge_id) return;
    const challengeId = item.challenge_id;
    const log = logger.child({ job_id: item.job_id, certificate_id: item.certificate_id, challenge_id: challengeId });
    if ((await state.get(journalKey(item)))?.phase === 'http01-served') return;
    const tokens = item.http01_tokens ?? [];
    const fail = async (error: string) => {
      log.error({ error }, 'could not serve the HTTP-01 tokens');
      try {
        await call(() => client.reportHttp01(agentId, challengeId, { status: 'failed', error }, signal));
      } catch (e) {
        if (!isFinalAnswer(e)) throw e;
      }
    };
    if (!config.http01Webroot)
      return fail(
        'this agent has no CERTCTL_HTTP01_WEBROOT: set it to the directory its web server serves /.well-known/acme-challenge/ from',
      );
    const webroot = createHttp01Webroot(config.http01Webroot, { connector: 'agent' });
    // In the journal before the first file, so a crash halfway still cleans up.
    await state.put({ item, phase: 'http01-served' });
    try {
      for (const t of tokens) await webroot.publish(t.token, t.key_authorization);
    } catch (error) {
      await withdrawHttp01(item);
      return fail(`writing under ${webroot.directory}: ${message(error)}`);
    }
    log.info({ identifiers: tokens.map((t) => t.identifier), directory: webroot.directory }, 'HTTP-01 tokens written');
    try {
      await call(() => client.reportHttp01(agentId, challengeId, { status: 'served' }, signal));
    } catch (error) {
      if (!isFinalAnswer(error)) throw error;
      log.warn({ error: message(error) }, 'the server no longer expects this challenge; removing its files');
      await withdrawHttp01(item);
    }
  }

  /** Removes a challenge's files and its journal entry. */
  async function withdrawHttp01(item: WorkItem): Promise<void> {
    if (config.http01Webroot) {
      const webroot = createHttp01Webroot(config.http01Webroot, { connector: 'agent' });
      for (const t of item.http01_tokens ?? [])
        await webroot
          .withdraw(t.token)
          .catch((error) => logger.warn({ token: t.token, error: message(error) }, 'could not remove an HTTP-01 file'));
    }
    await state.remove(journalKey(item));
  }

  /** Runs the network scans handed to this agent and reports each; a server without them (404) is asked again an hour later. */
  async function networkScans(agentId: string, signal: AbortSignal, stop: AbortSignal): Promise<number> {
    if (now() < nextNetworkScansAt) return 0;
    let scans: Awaited<ReturnType<ServerClient['networkScans']>>;
    try {
      scans = await call(() => client.networkScans(agentId, signal));
    } catch (error) {
      if (!(error instanceof ServerRequestError && error.status === 404)) throw error;
      nextNetworkScansAt = now() + TARGET_TYPES_REFRESH_MS;
      logger.debug({ error: message(error) }, 'the server hands out no network scans (older than this agent?)');
      return 0;
    }
    for (const item of scans) {
      if (stop.aborted) break;
      const log = logger.child({ scan_id: item.scan_id, network_scan_target_id: item.target_id });
      log.info({ cidrs: item.cidrs, hosts: item.hosts, ports: item.ports }, 'network scan started');
      const report = await runHandedNetworkScan(item, {
        signal,
        logger: log,
        ...(options.networkProbe && { probe: options.networkProbe }),
      });
      try {
        await call(() => client.reportNetworkScan(agentId, item.scan_id, report, signal));
      } catch (error) {
        if (!isFinalAnswer(error)) throw error;
        log.warn({ error: message(error) }, 'the server no longer expects this scan; dropping it');
        continue;
      }
      log.info(
        { status: report.status, found: report.findings.length, summary: report.summary },
        'network scan reported',
      );
    }
    return scans.length;
  }

  /** Finishes what a previous run left in the journal, then takes new work. `stop` ends it between jobs. */
  async function pollOnce(signal: AbortSignal, stop: AbortSignal = signal): Promise<void> {
    const { agent_id } = await ensureRegistered(signal);
    const done = new Set<string>();
    for (const entry of await state.entries()) {
      if (stop.aborted) return;
      if (entry.item.type !== 'deployment' || (entry.phase !== 'deploying' && entry.phase !== 'deployed')) continue;
      logger.info({ job_id: entry.item.job_id, phase: entry.phase }, 'resuming a job from before the restart');
      await handleDeployment(agent_id, entry.item, signal);
      done.add(entry.item.job_id);
    }
    const work = await call(() => client.work(agent_id, signal));
    if (work.length) logger.info({ jobs: work.length }, 'work received');
    for (const item of work) {
      if (stop.aborted) return;
      if (done.has(item.job_id)) continue;
      if (item.type === 'csr') await handleCsr(agent_id, item, signal);
      else if (item.type === 'http01') await handleHttp01(agent_id, item, signal);
      else await handleDeployment(agent_id, item, signal);
    }
    // A challenge the server no longer lists is over (validated, failed, timed out, cancelled): its files go.
    const challenges = new Set(work.filter((w) => w.type === 'http01').map((w) => journalKey(w)));
    for (const entry of await state.entries())
      if (entry.item.type === 'http01' && !challenges.has(journalKey(entry.item))) {
        await withdrawHttp01(entry.item);
        logger.info({ challenge_id: entry.item.challenge_id }, 'HTTP-01 challenge over; its files are removed');
      }
    // A CSR job the server no longer lists was answered (or cancelled): its key stays, its journal entry goes.
    const listed = new Set(work.map((w) => w.job_id));
    for (const entry of await state.entries())
      if (entry.item.type === 'csr' && !listed.has(entry.item.job_id)) await state.remove(entry.item.job_id);
    if (!stop.aborted) await networkScans(agent_id, signal, stop);
  }

  async function discover(signal: AbortSignal): Promise<{ reported: number }> {
    const { agent_id } = await ensureRegistered(signal);
    const scan = await scanDirectories(config.discoveryDirs, { signal, exclude: [config.keyDir, config.stateDir] });
    let reported = 0;
    for (let i = 0; i === 0 || i < scan.certificates.length; i += DISCOVERY_BATCH) {
      const batch = scan.certificates.slice(i, i + DISCOVERY_BATCH);
      const result = await call(() =>
        client.reportDiscovery(
          agent_id,
          {
            directories: config.discoveryDirs,
            certificates: batch.map((c) => ({
              path: c.path,
              certificate_pem: c.certificatePem,
              fingerprint_sha256: c.fingerprintSha256,
            })),
            errors: i === 0 ? scan.errors.slice(0, 1000) : [],
            scan_duration_ms: scan.durationMs,
          },
          signal,
        ),
      );
      reported += result.reported;
    }
    logger.info(
      { found: scan.certificates.length, reported, errors: scan.errors.length, duration_ms: scan.durationMs },
      'discovery scan reported',
    );
    return { reported };
  }

  /** One cycle for scripts and tests: register, heartbeat, poll and deploy, discover; bounded retries with backoff. */
  async function runOnce(signal: AbortSignal, attempts = 5): Promise<void> {
    for (let failures = 0; ; ) {
      try {
        await heartbeat(signal);
        await pollOnce(signal);
        if (config.discoveryDirs.length) await discover(signal);
        return;
      } catch (error) {
        failures++;
        if (error instanceof AgentStoppedError || failures >= attempts || signal.aborted) throw error;
        const delay = fullJitterDelay(failures, config.backoffBaseMs, config.backoffMaxMs, random);
        logger.warn({ error: message(error), attempt: failures, retry_in_ms: delay }, 'cycle failed; retrying');
        await sleep(delay, signal);
      }
    }
  }

  /**
   * Runs until `stop` aborts: heartbeats, polls and scans on their intervals; after a failure waits
   * with backoff and jitter. On stop, the job in hand may finish within the grace period; past it the
   * job is abandoned and resumes from the journal at the next start.
   */
  async function run(stop: AbortSignal): Promise<'stopped' | 'retired'> {
    const work = new AbortController();
    const onStop = () => {
      const timer = setTimeout(() => work.abort(new Error('shutdown grace period over')), config.shutdownGraceMs);
      timer.unref();
    };
    stop.addEventListener('abort', onStop, { once: true });
    let failures = 0;
    let nextHeartbeat = 0;
    let nextDiscovery = 0;
    try {
      while (!stop.aborted) {
        let delay = config.pollIntervalMs;
        try {
          if (Date.now() >= nextHeartbeat) {
            await heartbeat(work.signal);
            nextHeartbeat = Date.now() + config.heartbeatIntervalMs;
          }
          await pollOnce(work.signal, stop);
          if (config.discoveryDirs.length && Date.now() >= nextDiscovery && !stop.aborted) {
            await discover(work.signal);
            nextDiscovery = Date.now() + config.discoveryIntervalMs;
          }
          failures = 0;
        } catch (error) {
          if (error instanceof AgentStoppedError) {
            if (error.reason !== 'retired') throw error;
            logger.error({ error: error.message }, 'agent stopping');
            return 'retired';
          }
          if (stop.aborted) break;
          failures++;
          delay = fullJitterDelay(failures, config.backoffBaseMs, config.backoffMaxMs, random);
          logger.warn(
            { error: message(error), consecutive_failures: failures, retry_in_ms: delay },
            'server unreachable or cycle failed; backing off',
          );
        }
        await sleep(delay, stop).catch(() => {});
      }
      return 'stopped';
    } finally {
      stop.removeEventListener('abort', onStop);
    }
  }

  return {
    state,
    keys,
    ensureRegistered,
    heartbeat,
    pollOnce,
    discover,
    runOnce,
    run,
    async close() {
      await targets.stop();
      await client.close();
    },
  };
}
export type CertctlAgent = ReturnType<typeof createCertctlAgent>;
