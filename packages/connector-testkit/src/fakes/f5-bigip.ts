import { createPublicKey, randomBytes, X509Certificate } from 'node:crypto';
import { type FakeRequest, type FakeResponse, type FakeVendor, startFakeVendor } from '../fake-vendor.js';
import { createFaultQueue, type FaultQueue, isRecord } from './fake-faults.js';

/** A certificate or key installed on the fake BIG-IP (`sys crypto cert|key`). */
export interface FakeBigIpCryptoObject {
  fullPath: string;
  pem: string;
}

export interface FakeBigIpCertKeyChain {
  name: string;
  cert: string;
  key: string;
  chain?: string;
}

export interface FakeBigIpProfile {
  fullPath: string;
  certKeyChain: FakeBigIpCertKeyChain[];
}

export interface StartFakeBigIpOptions {
  /** Administrative users and their passwords; default `admin` with a random password (see `password`). */
  users?: Record<string, string>;
  /** Partitions (folders) that exist; default `Common`. */
  partitions?: readonly string[];
  /** Client-ssl profiles that exist, by full path, each with the certificate it starts with (installed too). */
  profiles?: Record<string, { certPem: string; keyPem: string; chainPem?: string }>;
  /** Seconds a transaction may stay uncommitted before BIG-IP deletes it; default 120. */
  transactionTimeoutSeconds?: number;
}

export interface FakeBigIp {
  /** `https://127.0.0.1:<port>`: the management interface. */
  url: string;
  port: number;
  /** PEM of the CA that signed the management certificate. */
  caPem: string;
  username: string;
  password: string;
  vendor: FakeVendor;
  /** Answers queued for the next authenticated requests. */
  faults: FaultQueue;
  /** A copy of a client-ssl profile, by full path. */
  profile(fullPath: string): FakeBigIpProfile | undefined;
  /** Certificates and keys installed, by full path. */
  certs(): FakeBigIpCryptoObject[];
  keys(): FakeBigIpCryptoObject[];
  /** Files uploaded through `/mgmt/shared/file-transfer/uploads`, by name. */
  uploads(): string[];
  /** Transactions by id, with their state and queued commands. */
  transactions(): { transId: number; state: string; commands: number }[];
  /** Makes the next transaction commit fail as BIG-IP does when a queued command is refused (400, nothing applied). */
  failNextCommit(message?: string): void;
  /** Installs a certificate or key directly, as an administrator would outside any deploy. */
  install(kind: 'cert' | 'key', fullPath: string, pem: string): void;
  /** Drops every login token, as a BIG-IP restart or token timeout does. */
  expireTokens(): void;
  close(): Promise<void>;
}

const DOWNLOADS = '/var/config/rest/downloads';

/** A `/mgmt/tm` error body, as BIG-IP sends it. */
function tmError(code: number, message: string, apiError = 3): FakeResponse {
  return { status: code, body: { code, message, errorStack: [], apiError } };
}

/** A `/mgmt/shared` (REST framework) error body. */
function restError(code: number, message: string, extra: Record<string, unknown> = {}): FakeResponse {
  return {
    status: code,
    body: {
      code,
      message,
      ...extra,
      referer: '127.0.0.1',
      restOperationId: Math.floor(Math.random() * 1e7),
      kind: ':resterrorresponse',
    },
  };
}

/** `~Common~name` in a URL → `/Common/name`. */
function pathFromUrlName(segment: string): string {
  return decodeURIComponent(segment).replace(/~/g, '/');
}

function fingerprintOf(pem: string): string {
  const hex = new X509Certificate(pem).fingerprint256;
  return `SHA256/${hex}`;
}

interface State {
  certs: Map<string, FakeBigIpCryptoObject>;
  keys: Map<string, FakeBigIpCryptoObject>;
  profiles: Map<string, FakeBigIpProfile>;
}

interface Transaction {
  transId: number;
  state: 'STARTED' | 'VALIDATING' | 'COMPLETED' | 'FAILED';
  createdAt: number;
  failureReason: string;
  commands: { method: string; path: string; body: Record<string, unknown> }[];
}

/**
 * A fake BIG-IP management interface (iControl REST) for certificate deployment: token login
 * (`/mgmt/shared/authn/login`, `X-F5-Auth-Token`; 401 bodies as BIG-IP sends them), chunked file
 * uploads (`Content-Range`), `sys crypto cert|key` install from an uploaded file (PEM parsed, key
 * checked), client-ssl profiles (`certKeyChain`, cert/key must match), partitions, and transactions
 * (`/mgmt/tm/transaction`, `X-F5-REST-Coordination-Id`): queued commands run on commit as a whole
 * and a failing one leaves nothing applied (`400 transaction failed:...`).
 */
export async function startFakeBigIp(options: StartFakeBigIpOptions = {}): Promise<FakeBigIp> {
  const generated = randomBytes(12).toString('base64url');
  const users = options.users ?? { admin: generated };
  const username = Object.keys(users)[0]!;
  const partitions = new Set(options.partitions ?? ['Common']);
  const tokens = new Map<string, { user: string; expiresAt: number }>();
  const uploads = new Map<string, { total: number; chunks: Map<number, Buffer> }>();
  const transactions = new Map<number, Transaction>();
  const timeoutSeconds = options.transactionTimeoutSeconds ?? 120;
  const faults = createFaultQueue();
  const commitFailures: string[] = [];
  let nextTransId = 1_700_000_000_000;
  let state: State = { certs: new Map(), keys: new Map(), profiles: new Map() };

  const cloneState = (s: State): State => ({
    certs: new Map([...s.certs].map(([k, v]) => [k, { ...v }])),
    keys: new Map([...s.keys].map(([k, v]) => [k, { ...v }])),
    profiles: new Map(
      [...s.profiles].map(([k, v]) => [
        k,
        { fullPath: v.fullPath, certKeyChain: v.certKeyChain.map((e) => ({ ...e })) },
      ]),
    ),
  });

  const checkPartition = (fullPath: string): FakeResponse | undefined => {
    const match = /^\/([^/]+)\/[^/]+$/.exec(fullPath);
    if (!match) return tmError(400, `01070712:3: Invalid name (${fullPath}): names must be /partition/name`);
    if (!partitions.has(match[1]!))
      return tmError(400, `01020036:3: The requested folder (/${match[1]}) was not found.`);
    return undefined;
  };

  const fullPathOf = (body: Record<string, unknown>): string => {
    const name = String(body.name ?? '');
    if (name.startsWith('/')) return name;
    return `/${String(body.partition ?? 'Common')}/${name}`;
  };

  const uploadedFile = (path: unknown): Buffer | undefined => {
    if (typeof path !== 'string' || !path.startsWith(`${DOWNLOADS}/`)) return undefined;
    const upload = uploads.get(path.slice(DOWNLOADS.length + 1));
    if (!upload) return undefined;
    const size = [...upload.chunks.values()].reduce((n, c) => n + c.length, 0);
    if (size !== upload.total) return undefined;
    return Buffer.concat([...upload.chunks.entries()].sort(([a], [b]) => a - b).map(([, c]) => c));
  };

  /** The state changes a command makes, applied to `s`; an error response when BIG-IP would refuse it. */
  const apply = (s: State, method: string, path: string, body: Record<string, unknown>): FakeResponse => {
    const crypto = /^\/mgmt\/tm\/sys\/crypto\/(cert|key)$/.exec(path);
    if (crypto && method === 'POST') {
      const kind = crypto[1] as 'cert' | 'key';
      if (body.command !== 'install') return tmError(400, `"command" must be "install" for this request`, 1);
      const fullPath = fullPathOf(body);
      const problem = checkPartition(fullPath);
      if (problem) return problem;
      const store = kind === 'cert' ? s.certs : s.keys;
      if (store.has(fullPath)) {
        return tmError(
          409,
          `01020066:3: The requested ${kind === 'cert' ? 'Certificate' : 'Key'} File (${fullPath}) already exists in partition ${fullPath.split('/')[1]}.`,
        );
      }
      const file = uploadedFile(body['from-local-file']);
      if (!file) return tmError(400, `Unable to open file ${String(body['from-local-file'] ?? '')}: file not found`, 1);
      const pem = file.toString('utf8');
      try {
        if (kind === 'cert') new X509Certificate(pem);
        else createPublicKey(pem);
      } catch {
        return tmError(
          400,
          `01070313:3: Error reading ${kind === 'cert' ? 'certificate' : 'key'} file ${String(body['from-local-file'])}: not a PEM ${kind === 'cert' ? 'certificate' : 'private key'}`,
        );
      }
      store.set(fullPath, { fullPath, pem });
      return {
        body: {
          kind: `tm:sys:crypto:${kind}:${kind}state`,
          name: fullPath.split('/')[2],
          partition: fullPath.split('/')[1],
          fullPath,
          command: 'install',
          'from-local-file': body['from-local-file'],
        },
      };
    }
    const profileMatch = /^\/mgmt\/tm\/ltm\/profile\/client-ssl\/([^/]+)$/.exec(path);
    if (profileMatch && method === 'PATCH') {
      const fullPath = pathFromUrlName(profileMatch[1]!);
      const profile = s.profiles.get(fullPath);
      if (!profile) return tmError(404, `01020036:3: The requested ClientSSL Profile (${fullPath}) was not found.`);
      if (!Array.isArray(body.certKeyChain)) return tmError(400, 'one or more properties must be specified', 2);
      const entries: FakeBigIpCertKeyChain[] = [];
      for (const raw of body.certKeyChain) {
        if (!isRecord(raw) || typeof raw.cert !== 'string' || typeof raw.key !== 'string') {
          return tmError(400, `01070734:3: Configuration error: a certKeyChain entry needs cert and key`, 2);
        }
        const cert = s.certs.get(raw.cert);
        const key = s.keys.get(raw.key);
        if (!cert) return tmError(400, `01020036:3: The requested Certificate File (${raw.cert}) was not found.`);
        if (!key) return tmError(400, `01020036:3: The requested Certificate Key File (${raw.key}) was not found.`);
        if (typeof raw.chain === 'string' && raw.chain !== '' && !s.certs.has(raw.chain)) {
          return tmError(400, `01020036:3: The requested Certificate File (${raw.chain}) was not found.`);
        }
        const certKey = new X509Certificate(cert.pem).publicKey.export({ format: 'der', type: 'spki' });
        const keyKey = createPublicKey(key.pem).export({ format: 'der', type: 'spki' });
        if (!certKey.equals(keyKey)) {
          return tmError(
            400,
            `010717e3:3: Client SSL profile (${fullPath}): the key (${raw.key}) does not match the certificate (${raw.cert}).`,
          );
        }
        entries.push({
          name: typeof raw.name === 'string' ? raw.name : 'default',
          cert: raw.cert,
          key: raw.key,
          ...(typeof raw.chain === 'string' && raw.chain !== '' ? { chain: raw.chain } : {}),
        });
      }
      profile.certKeyChain = entries;
      return { body: profileBody(profile) };
    }
    return tmError(404, `Public URI path not registered: ${path}`, 1);
  };

  const profileBody = (profile: FakeBigIpProfile) => ({
    kind: 'tm:ltm:profile:client-ssl:client-sslstate',
    name: profile.fullPath.split('/')[2],
    partition: profile.fullPath.split('/')[1],
    fullPath: profile.fullPath,
    defaultsFrom: '/Common/clientssl',
    certKeyChain: profile.certKeyChain.map((e) => ({
      ...e,
      certReference: { link: `https://localhost/mgmt/tm/sys/file/ssl-cert/${e.cert.replace(/\//g, '~')}` },
    })),
  });

  const transactionBody = (t: Transaction) => ({
    transId: t.transId,
    state: t.state,
    timeoutSeconds,
    asyncExecution: false,
    validateOnly: false,
    executionTimeout: 300,
    executionTime: 0,
    failureReason: t.failureReason,
    kind: 'tm:transactionstate',
    selfLink: `https://localhost/mgmt/tm/transaction/${t.transId}?ver=15.1.0`,
  });

  const liveTransaction = (id: number): Transaction | undefined => {
    const t = transactions.get(id);
    if (t && t.state === 'STARTED' && Date.now() - t.createdAt > timeoutSeconds * 1000) {
      // BIG-IP silently removes a transaction that outlives its timeout.
      transactions.delete(id);
      return undefined;
    }
    return t;
  };

  const handle = async (request: FakeRequest): Promise<FakeResponse> => {
    const { method, path } = request;
    if (method === 'POST' && path === '/mgmt/shared/authn/login') {
      let body: unknown;
      try {
        body = request.json();
      } catch {
        return restError(400, 'Unparseable JSON body');
      }
      if (!isRecord(body) || typeof body.username !== 'string' || typeof body.password !== 'string') {
        return restError(400, 'username and password are required');
      }
      if (users[body.username] !== body.password) {
        const echoed = JSON.stringify({
          username: body.username,
          loginProviderName: body.loginProviderName ?? 'tmos',
          generation: 0,
          lastUpdateMicros: 0,
        });
        return restError(401, 'Authentication failed.', { originalRequestBody: echoed, errorStack: [] });
      }
      const token = randomBytes(20).toString('hex').toUpperCase().slice(0, 26);
      const now = Date.now();
      tokens.set(token, { user: body.username, expiresAt: now + 1200_000 });
      return {
        body: {
          username: body.username,
          loginReference: {
            link: 'https://localhost/mgmt/cm/system/authn/providers/tmos/1f44a60e-11a7-3c51-a49f-82983026b41b/login',
          },
          loginProviderName: body.loginProviderName ?? 'tmos',
          token: {
            token,
            name: token,
            userName: body.username,
            authProviderName: 'tmos',
            timeout: 1200,
            startTime: new Date(now).toISOString(),
            expirationMicros: (now + 1200_000) * 1000,
            kind: 'shared:authz:tokens:authtokenitemstate',
            selfLink: `https://localhost/mgmt/shared/authz/tokens/${token}`,
          },
          generation: 0,
          lastUpdateMicros: 0,
        },
      };
    }

    const token = request.headers['x-f5-auth-token'];
    const session = token ? tokens.get(token) : undefined;
    if (!session || session.expiresAt < Date.now()) {
      return restError(
        401,
        token
          ? `X-F5-Auth-Token does not exist.`
          : 'Authorization failed: no user authentication header or token detected. Uri:http://localhost:8100' +
              path +
              ' Referrer:127.0.0.1 Sender:127.0.0.1',
      );
    }
    const fault = faults.take();
    if (fault) return fault;

    if (method === 'DELETE' && path.startsWith('/mgmt/shared/authz/tokens/')) {
      const name = decodeURIComponent(path.slice('/mgmt/shared/authz/tokens/'.length));
      if (!tokens.delete(name)) return restError(404, `Token ${name} does not exist.`);
      return { body: { token: name, name, kind: 'shared:authz:tokens:authtokenitemstate' } };
    }

    const upload = /^\/mgmt\/shared\/file-transfer\/uploads\/([^/]+)$/.exec(path);
    if (upload && method === 'POST') {
      const name = decodeURIComponent(upload[1]!);
      const range = /^(\d+)-(\d+)\/(\d+)$/.exec(request.headers['content-range'] ?? '');
      if (!range) return restError(400, 'Content-Range header is required: <start>-<end>/<total>');
      const [start, end, total] = [Number(range[1]), Number(range[2]), Number(range[3])];
      if (end - start + 1 !== request.body.length || end >= total) {
        return restError(
          400,
          `Content-Range ${start}-${end}/${total} does not match the ${request.body.length} bytes sent`,
        );
      }
      if (request.body.length > 1024 * 1024) return restError(400, 'chunk larger than 1 MB');
      let entry = uploads.get(name);
      if (!entry || start === 0) {
        entry = { total, chunks: new Map() };
        uploads.set(name, entry);
      }
      entry.chunks.set(start, Buffer.from(request.body));
      const received = [...entry.chunks.values()].reduce((n, c) => n + c.length, 0);
      return {
        body: {
          remainingByteCount: total - received,
          usedChunks: Object.fromEntries([...entry.chunks].map(([k, v]) => [String(k), v.length])),
          totalByteCount: total,
          localFilePath: `${DOWNLOADS}/${name}`,
          temporaryFilePath: `${DOWNLOADS}/tmp/${name}`,
          generation: 0,
          lastUpdateMicros: Date.now() * 1000,
        },
      };
    }

    if (path === '/mgmt/tm/transaction' && method === 'POST') {
      const t: Transaction = {
        transId: nextTransId++,
        state: 'STARTED',
        createdAt: Date.now(),
        failureReason: '',
        commands: [],
      };
      transactions.set(t.transId, t);
      return { body: transactionBody(t) };
    }
    const transactionPath = /^\/mgmt\/tm\/transaction\/(\d+)(\/commands)?$/.exec(path);
    if (transactionPath) {
      const id = Number(transactionPath[1]);
      const t = liveTransaction(id);
      if (!t) return tmError(404, `Transaction with txId ${id} does not exist.`, 1);
      if (method === 'GET' && transactionPath[2]) {
        return {
          body: {
            kind: 'tm:transaction:commandscollectionstate',
            items: t.commands.map((c, i) => ({
              method: c.method,
              uri: `https://localhost${c.path}`,
              body: c.body,
              evalOrder: i + 1,
              commandId: i + 1,
              kind: 'tm:transaction:commands:commandsstate',
            })),
          },
        };
      }
      if (method === 'GET') return { body: transactionBody(t) };
      if (method === 'DELETE') {
        transactions.delete(id);
        return { body: {} };
      }
      if (method === 'PATCH') {
        if (request.headers['x-f5-rest-coordination-id']) {
          return tmError(400, 'Transaction cannot be committed with the X-F5-REST-Coordination-Id header set', 1);
        }
        let body: unknown;
        try {
          body = request.json();
        } catch {
          return tmError(400, 'Unparseable JSON body', 1);
        }
        if (!isRecord(body) || body.state !== 'VALIDATING')
          return tmError(400, 'state must be VALIDATING to commit', 1);
        if (t.state !== 'STARTED')
          return tmError(400, `Transaction ${id} is ${t.state}; it cannot be committed again`, 1);
        if (t.commands.length === 0) return tmError(400, 'transaction failed:no commands in transaction', 2);
        // Every command runs on a copy; only a transaction that succeeds as a whole replaces the configuration.
        const draft = cloneState(state);
        const injected = commitFailures.shift();
        let failure: string | undefined = injected;
        if (!failure) {
          for (const command of t.commands) {
            const result = apply(draft, command.method, command.path, command.body);
            if ((result.status ?? 200) >= 300) {
              failure = String((result.body as { message?: string }).message);
              break;
            }
          }
        }
        if (failure) {
          t.state = 'FAILED';
          t.failureReason = failure;
          return tmError(400, `transaction failed:${failure}`, 2);
        }
        state = draft;
        t.state = 'COMPLETED';
        return { body: transactionBody(t) };
      }
      return tmError(405, `Method ${method} not allowed on ${path}`, 1);
    }

    // Writes carrying a transaction id are queued, not run: BIG-IP answers with the transaction's state.
    const coordination = request.headers['x-f5-rest-coordination-id'];
    if (coordination && method !== 'GET') {
      const t = liveTransaction(Number(coordination));
      if (!t) return tmError(404, `Transaction with txId ${coordination} does not exist.`, 1);
      if (t.state !== 'STARTED') return tmError(400, `Transaction ${coordination} is ${t.state}`, 1);
      let body: unknown;
      try {
        body = request.json();
      } catch {
        return tmError(400, 'Unparseable JSON body', 1);
      }
      if (!isRecord(body)) return tmError(400, 'the request body must be a JSON object', 1);
      t.commands.push({ method, path, body });
      return { body: transactionBody(t) };
    }

    if (method === 'GET') {
      const profileGet = /^\/mgmt\/tm\/ltm\/profile\/client-ssl\/([^/]+)$/.exec(path);
      if (profileGet) {
        const profile = state.profiles.get(pathFromUrlName(profileGet[1]!));
        return profile
          ? { body: profileBody(profile) }
          : tmError(
              404,
              `01020036:3: The requested ClientSSL Profile (${pathFromUrlName(profileGet[1]!)}) was not found.`,
            );
      }
      const certGet = /^\/mgmt\/tm\/sys\/file\/ssl-cert\/([^/]+)$/.exec(path);
      if (certGet) {
        const fullPath = pathFromUrlName(certGet[1]!);
        const cert = state.certs.get(fullPath);
        if (!cert) return tmError(404, `01020036:3: The requested Certificate File (${fullPath}) was not found.`);
        const x509 = new X509Certificate(cert.pem);
        return {
          body: {
            kind: 'tm:sys:file:ssl-cert:ssl-certstate',
            name: fullPath.split('/')[2],
            partition: fullPath.split('/')[1],
            fullPath,
            fingerprint: fingerprintOf(cert.pem),
            serialNumber: x509.serialNumber.toLowerCase(),
            subject: x509.subject.replace(/\n/g, ','),
            issuer: x509.issuer.replace(/\n/g, ','),
            expirationString: x509.validTo,
            isBundle: String((cert.pem.match(/BEGIN CERTIFICATE/g) ?? []).length > 1),
          },
        };
      }
      const keyGet = /^\/mgmt\/tm\/sys\/file\/ssl-key\/([^/]+)$/.exec(path);
      if (keyGet) {
        const fullPath = pathFromUrlName(keyGet[1]!);
        return state.keys.has(fullPath)
          ? {
              body: {
                kind: 'tm:sys:file:ssl-key:ssl-keystate',
                name: fullPath.split('/')[2],
                partition: fullPath.split('/')[1],
                fullPath,
              },
            }
          : tmError(404, `01020036:3: The requested Certificate Key File (${fullPath}) was not found.`);
      }
      return tmError(404, `Public URI path not registered: ${path}`, 1);
    }

    if (method === 'POST' && path === '/mgmt/tm/util/unix-rm') {
      let body: unknown;
      try {
        body = request.json();
      } catch {
        return tmError(400, 'Unparseable JSON body', 1);
      }
      const target = isRecord(body) && body.command === 'run' ? String(body.utilCmdArgs ?? '') : '';
      if (!target.startsWith(`${DOWNLOADS}/`)) return tmError(400, 'unix-rm: only files under the upload directory', 1);
      uploads.delete(target.slice(DOWNLOADS.length + 1));
      return { body: { kind: 'tm:util:unix-rm:runstate', command: 'run', utilCmdArgs: target } };
    }

    // Outside a transaction a write runs at once.
    let body: unknown;
    try {
      body = request.json();
    } catch {
      return tmError(400, 'Unparseable JSON body', 1);
    }
    if (!isRecord(body)) return tmError(400, 'the request body must be a JSON object', 1);
    return apply(state, method, path, body);
  };

  // Starting configuration: each profile with its certificate and key installed.
  for (const [fullPath, initial] of Object.entries(options.profiles ?? {})) {
    const base = fullPath.replace(/\/[^/]+$/, '');
    const name = fullPath.split('/').at(-1)!;
    const cert = `${base}/${name}-initial.crt`;
    const key = `${base}/${name}-initial.key`;
    state.certs.set(cert, { fullPath: cert, pem: initial.certPem });
    state.keys.set(key, { fullPath: key, pem: initial.keyPem });
    const entry: FakeBigIpCertKeyChain = { name: 'default', cert, key };
    if (initial.chainPem) {
      const chain = `${base}/${name}-initial-chain.crt`;
      state.certs.set(chain, { fullPath: chain, pem: initial.chainPem });
      entry.chain = chain;
    }
    state.profiles.set(fullPath, { fullPath, certKeyChain: [entry] });
  }

  const vendor = await startFakeVendor({ handler: handle });
  return {
    url: vendor.url,
    port: vendor.port,
    caPem: vendor.caPem!,
    username,
    password: users[username]!,
    vendor,
    faults,
    profile: (fullPath) => {
      const p = state.profiles.get(fullPath);
      return p ? { fullPath: p.fullPath, certKeyChain: p.certKeyChain.map((e) => ({ ...e })) } : undefined;
    },
    certs: () => [...state.certs.values()].map((c) => ({ ...c })),
    keys: () => [...state.keys.values()].map((k) => ({ ...k })),
    uploads: () => [...uploads.keys()],
    transactions: () =>
      [...transactions.values()].map((t) => ({ transId: t.transId, state: t.state, commands: t.commands.length })),
    failNextCommit(message = '01070734:3: Configuration error: injected by the test') {
      commitFailures.push(message);
    },
    install(kind, fullPath, pem) {
      (kind === 'cert' ? state.certs : state.keys).set(fullPath, { fullPath, pem });
    },
    expireTokens: () => tokens.clear(),
    close: () => vendor.close(),
  };
}
