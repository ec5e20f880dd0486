import { prepareTlsMaterial } from '@certctl/connector-utils';
import {
  type ConnectorContext,
  ConnectorError,
  type DeployRequest,
  type TargetInstance,
  VendorApiError,
} from '@certctl/core';
import type { F5TargetConfig } from './f5-config.js';
import {
  bigIpMessage,
  CONNECTOR,
  type CertKeyChainEntry,
  createIControl,
  type IControlSession,
  urlName,
} from './icontrol.js';

interface ProfileState {
  fullPath: string;
  certKeyChain?: CertKeyChainEntry[];
}

interface SslCertState {
  fingerprint?: string;
  serialNumber?: string;
}

interface Plan {
  /** Object names for this certificate: certctl_<serial>.crt / .key / _chain.crt. */
  cert: string;
  key: string;
  chain?: string;
  files: { name: string; content: Buffer; kind: 'cert' | 'key'; fullPath: string }[];
}

/** Serials compared as the contract writes them: lowercase hex without leading zeros. */
const normalizeSerial = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^0-9a-f]/g, '')
    .replace(/^0+(?=.)/, '');

/** `SHA256/AB:CD:...` (BIG-IP) → `abcd...`. */
const fingerprintHex = (text: string | undefined) =>
  (text ?? '')
    .replace(/^SHA256\//i, '')
    .replace(/:/g, '')
    .toLowerCase();

/**
 * F5 BIG-IP over iControl REST: the certificate, key and chain are uploaded, then installed as crypto
 * objects and put into the client-ssl profile in ONE transaction, so BIG-IP applies all of it or none
 * (a refused commit leaves the old profile serving). Objects are named after the serial, so a
 * certificate already in the profile is not deployed again.
 */
export function createF5Target(config: F5TargetConfig, ctx: ConnectorContext, version: string): TargetInstance {
  const icontrol = createIControl(config, ctx, version);
  const partition = `/${config.partition}`;
  const profilePath = `${partition}/${config.ssl_profile}`;
  const profileUrl = `/mgmt/tm/ltm/profile/client-ssl/${urlName(profilePath)}`;
  const where = `client-ssl profile ${profilePath} on ${icontrol.base}`;

  const planFor = (request: DeployRequest): Plan => {
    const material = prepareTlsMaterial(request, CONNECTOR);
    const base = `certctl_${request.serial.toLowerCase().replace(/[^0-9a-f]/g, '')}`;
    const plan: Plan = {
      cert: `${partition}/${base}.crt`,
      key: `${partition}/${base}.key`,
      files: [
        {
          name: `${base}.key`,
          content: Buffer.from(material.keyPem),
          kind: 'key',
          fullPath: `${partition}/${base}.key`,
        },
        {
          name: `${base}.crt`,
          content: Buffer.from(material.leafPem),
          kind: 'cert',
          fullPath: `${partition}/${base}.crt`,
        },
      ],
    };
    if (material.chainPem) {
      plan.chain = `${partition}/${base}_chain.crt`;
      plan.files.push({
        name: `${base}_chain.crt`,
        content: Buffer.from(material.chainPem),
        kind: 'cert',
        fullPath: plan.chain,
      });
    }
    return plan;
  };

  const withSession = async <T>(signal: AbortSignal | undefined, use: (session: IControlSession) => Promise<T>) => {
    const session = await icontrol.login(signal);
    try {
      return await use(session);
    } finally {
      await session.logout();
    }
  };

  const readProfile = async (session: IControlSession): Promise<ProfileState> => {
    const profile = await session.get<ProfileState>(profileUrl);
    if (!profile) {
      throw new ConnectorError({
        connector: CONNECTOR,
        message: `${where} does not exist: create it (or fix ssl_profile / partition)`,
        retryable: false,
      });
    }
    return profile;
  };

  /** The entry the target owns: the one named `default`, else the first. */
  const entryIndex = (chain: readonly CertKeyChainEntry[]) => {
    const index = chain.findIndex((e) => e.name === 'default');
    return index === -1 ? 0 : index;
  };

  const holds = (profile: ProfileState, plan: Plan) => {
    const entry = profile.certKeyChain?.[entryIndex(profile.certKeyChain)];
    return entry?.cert === plan.cert && entry.key === plan.key && (entry.chain ?? undefined) === plan.chain;
  };

  /** Removes the uploaded files (a key among them) from the BIG-IP's upload directory. */
  const removeUploads = async (session: IControlSession, paths: readonly string[]) => {
    for (const path of paths) {
      await session
        .send('POST', '/mgmt/tm/util/unix-rm', { command: 'run', utilCmdArgs: path })
        .catch((error: Error) =>
          ctx.logger.warn({ path, error: error.message }, 'could not remove an uploaded file from the BIG-IP'),
        );
    }
  };

  return {
    async deploy(request) {
      const signal = request.signal ?? ctx.signal;
      const plan = planFor(request);
      return withSession(signal, async (session) => {
        const profile = await readProfile(session);
        if (holds(profile, plan)) {
          return {
            changed: false,
            detail: `serial ${request.serial}: ${where} already uses ${plan.cert}; nothing changed`,
          };
        }
        // Objects left by an earlier deploy of this very certificate are reused, not installed twice.
        const toInstall: Plan['files'] = [];
        for (const file of plan.files) {
          const kind = file.kind === 'cert' ? 'ssl-cert' : 'ssl-key';
          const existing = await session.get<SslCertState>(`/mgmt/tm/sys/file/${kind}/${urlName(file.fullPath)}`);
          if (!existing) toInstall.push(file);
        }
        const uploaded: string[] = [];
        try {
          for (const file of toInstall) uploaded.push(await session.upload(file.name, file.content));
          const transaction = await session.send<{ transId?: number }>('POST', '/mgmt/tm/transaction', {});
          const transId = transaction.transId;
          if (typeof transId !== 'number') {
            throw new ConnectorError({ connector: CONNECTOR, message: `${icontrol.base} did not start a transaction` });
          }
          for (const [i, file] of toInstall.entries()) {
            await session.send(
              'POST',
              `/mgmt/tm/sys/crypto/${file.kind}`,
              { command: 'install', name: file.fullPath, 'from-local-file': uploaded[i] },
              transId,
            );
          }
          const chain = [...(profile.certKeyChain ?? [])].map(({ name, cert, key, chain: c }) => ({
            name,
            cert,
            key,
            ...(c ? { chain: c } : {}),
          }));
          const entry = {
            name: 'default',
            cert: plan.cert,
            key: plan.key,
            ...(plan.chain ? { chain: plan.chain } : {}),
          };
          if (chain.length === 0) chain.push(entry);
          else chain[entryIndex(chain)] = { ...entry, name: chain[entryIndex(chain)]!.name };
          await session.send('PATCH', profileUrl, { certKeyChain: chain }, transId);
          try {
            await session.send('PATCH', `/mgmt/tm/transaction/${transId}`, { state: 'VALIDATING' });
          } catch (error) {
            const message = bigIpMessage(error);
            throw new VendorApiError({
              connector: CONNECTOR,
              status: VendorApiError.isInstance(error) ? error.status : undefined,
              message: `BIG-IP refused the transaction, so nothing changed and ${where} still uses its previous certificate: ${message ?? (error as Error).message}`,
              cause: error,
              retryable: false,
            });
          }
        } finally {
          await removeUploads(session, uploaded);
        }

        // The transaction committed: check what the profile now references.
        const after = await readProfile(session);
        const cert = await session.get<SslCertState>(`/mgmt/tm/sys/file/ssl-cert/${urlName(plan.cert)}`);
        const fingerprintOk = fingerprintHex(cert?.fingerprint) === fingerprintHex(request.fingerprintSha256);
        if (!holds(after, plan) || !fingerprintOk) {
          // One PATCH is atomic on its own: the previous certKeyChain goes back.
          await session.send('PATCH', profileUrl, { certKeyChain: profile.certKeyChain ?? [] }).catch(() => undefined);
          throw new ConnectorError({
            connector: CONNECTOR,
            message: `${where} does not reference ${plan.cert} with the deployed fingerprint after the commit; the previous certKeyChain was put back`,
          });
        }
        return {
          changed: true,
          detail: `serial ${request.serial}: installed ${toInstall.map((f) => f.fullPath).join(', ') || 'nothing new'} and switched ${where} to ${plan.cert} in one transaction`,
        };
      });
    },

    async validateDeployment(request) {
      return withSession(request.signal ?? ctx.signal, async (session) => {
        const profile = await readProfile(session);
        const entry = profile.certKeyChain?.[entryIndex(profile.certKeyChain)];
        if (!entry) return { valid: false, detail: `${where} has no certificate` };
        const cert = await session.get<SslCertState>(`/mgmt/tm/sys/file/ssl-cert/${urlName(entry.cert)}`);
        if (!cert?.serialNumber)
          return { valid: false, detail: `${where} references ${entry.cert}, which cannot be read` };
        const observedSerial = normalizeSerial(cert.serialNumber);
        const valid =
          observedSerial === normalizeSerial(request.serial) &&
          (request.fingerprintSha256 === undefined ||
            fingerprintHex(cert.fingerprint) === fingerprintHex(request.fingerprintSha256));
        return {
          valid,
          observedSerial,
          detail: valid
            ? `${where} uses ${entry.cert} (serial ${observedSerial})`
            : `${where} uses ${entry.cert} (serial ${observedSerial}), not serial ${request.serial}`,
        };
      });
    },

    async dryRun(request) {
      const plan = planFor(request);
      return withSession(request.signal ?? ctx.signal, async (session) => {
        const profile = await readProfile(session);
        if (holds(profile, plan)) return { steps: [`keep ${where}: it already uses ${plan.cert}`] };
        return {
          steps: [
            `upload ${plan.files.map((f) => f.name).join(', ')} to ${icontrol.base}`,
            'start an iControl REST transaction',
            `install ${plan.files.map((f) => f.fullPath).join(', ')} as crypto objects (queued)`,
            `point ${where} at ${plan.cert} / ${plan.key}${plan.chain ? ` / ${plan.chain}` : ''} (queued)`,
            'commit: BIG-IP applies all of it or nothing',
            'remove the uploaded files; check the profile references the new certificate',
          ],
        };
      });
    },

    async testConnection(options) {
      return withSession(options?.signal ?? ctx.signal, async (session) => {
        const profile = await readProfile(session);
        const entry = profile.certKeyChain?.[entryIndex(profile.certKeyChain)];
        return {
          ok: true,
          detail: `logged in to ${icontrol.base} as ${config.username}; ${where} uses ${entry?.cert ?? 'no certificate'}`,
        };
      });
    },
  };
}
