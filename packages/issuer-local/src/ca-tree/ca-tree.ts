/**
 * Tree mode: the issuer's own CA (self-signed root or sub-CA from files) at the top, intermediates
 * below it created on request, one of them (or the top) signing leaves. Chains are built by walking
 * parents; path length and name constraints are checked when a CA is created and when a leaf is
 * signed; retirement drains (`retiring`: no new children, cannot issue; `retired`: key destroyed).
 * Mutations re-read the stored tree first and are serialised within the process.
 */
import type { KeyObject } from 'node:crypto';
import {
  type CaNode,
  type Clock,
  ConnectorError,
  type ConnectorLogger,
  type ConnectorSecretStore,
  type CreateCaRequest,
  MalformedInputError,
  type RetireCaRequest,
} from '@certctl/core';
import {
  createCertificateAuthority,
  exportPrivateKeyPem,
  findNameConstraintViolation,
  importPrivateKey,
  type NameInput,
  type ParsedCertificate,
  parseCertificate,
  type SubjectAltName,
  toKeyObject,
} from '@certctl/pki';
import { CONNECTOR } from '../connector-name.js';
import type { IssuingCa, IssuingCaSource } from '../issuing-ca.js';
import { fromConstraintsValue, toConstraintsInput, validateConstraints } from './constraints.js';
import { caKeySecret, readTree, type StoredCaNode, type StoredCaTree, TOP_CA_ID, writeTree } from './stored-tree.js';

const CA_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const BACKDATE_MS = 5 * 60_000;
const DAY_MS = 86_400_000;

export interface CaTreeOptions {
  top: IssuingCaSource;
  secrets: ConnectorSecretStore;
  clock: Clock;
  logger: ConnectorLogger;
}

export interface CaTree {
  /** The CA that signs leaves now, with its parents up to the top's own parents. */
  issuingCa(): Promise<IssuingCa>;
  list(): Promise<CaNode[]>;
  create(request: CreateCaRequest): Promise<CaNode>;
  setIssuing(id: string): Promise<CaNode>;
  retire(request: RetireCaRequest): Promise<CaNode>;
  /** Throws when a name the leaf would carry is outside the name constraints of its chain. */
  checkLeafNames(ca: IssuingCa, sans: SubjectAltName[]): void;
}

function refused(message: string): ConnectorError {
  return new ConnectorError({ connector: CONNECTOR, message, retryable: false });
}

function badRequest(message: string): MalformedInputError {
  return new MalformedInputError({ connector: CONNECTOR, inputKind: 'ca-request', message });
}

function nodeOf(
  id: string,
  parentId: string | null,
  certificate: ParsedCertificate,
  state: CaNode['state'],
  issuing: boolean,
): CaNode {
  return {
    id,
    parentId,
    name: id,
    subject: certificate.subject,
    state,
    issuing,
    certificatePem: certificate.pem,
    serial: certificate.serialNumber,
    notBefore: certificate.notBefore,
    notAfter: certificate.notAfter,
    pathLength: certificate.basicConstraints?.pathLength,
    nameConstraints: fromConstraintsValue(certificate.nameConstraints),
  };
}

export function createCaTree(options: CaTreeOptions): CaTree {
  const { secrets, clock, logger } = options;
  const parsed = new Map<string, ParsedCertificate>();
  const keys = new Map<string, { privateKey: KeyObject; signingKey: CryptoKey }>();
  let topCa: Promise<IssuingCa> | undefined;
  let queue: Promise<unknown> = Promise.resolve();

  const top = (): Promise<IssuingCa> => {
    topCa ??= options.top.load().catch((error: unknown) => {
      topCa = undefined;
      throw error;
    });
    return topCa;
  };

  const certificateOf = (node: StoredCaNode): ParsedCertificate => {
    let certificate = parsed.get(node.name);
    if (!certificate) {
      certificate = parseCertificate(node.certificate_pem);
      parsed.set(node.name, certificate);
    }
    return certificate;
  };

  const find = (tree: StoredCaTree, id: string): StoredCaNode => {
    const node = tree.nodes.find((n) => n.name === id);
    if (!node) throw badRequest(`no CA "${id}" in this issuer's hierarchy`);
    return node;
  };

  /** The node's ancestors, closest first, excluding the top. */
  const ancestorsOf = (tree: StoredCaTree, node: StoredCaNode): StoredCaNode[] => {
    const out: StoredCaNode[] = [];
    let parent = node.parent;
    while (parent !== TOP_CA_ID) {
      const next = find(tree, parent);
      if (out.includes(next)) throw refused(`the stored CA tree has a cycle at "${parent}"; restore it from a backup`);
      out.push(next);
      parent = next.parent;
    }
    return out;
  };

  const keyOf = async (name: string) => {
    const cached = keys.get(name);
    if (cached) return cached;
    const pem = await secrets.get(caKeySecret(name));
    if (pem === undefined)
      throw refused(`the key of CA "${name}" is missing from the secret store; restore it from a backup`);
    const signingKey = await importPrivateKey(pem);
    const loaded = { signingKey, privateKey: toKeyObject(signingKey) };
    keys.set(name, loaded);
    return loaded;
  };

  /** The IssuingCa for any node (the top included). */
  const issuingCaFor = async (tree: StoredCaTree, id: string): Promise<IssuingCa> => {
    const topIssuing = await top();
    if (id === TOP_CA_ID) return topIssuing;
    const node = find(tree, id);
    const ancestors = ancestorsOf(tree, node).map(certificateOf);
    return {
      mode: 'tree',
      certificate: certificateOf(node),
      parents: [...ancestors, topIssuing.certificate, ...topIssuing.parents],
      ...(await keyOf(node.name)),
    };
  };

  const nodes = async (tree: StoredCaTree): Promise<CaNode[]> => {
    const topIssuing = await top();
    return [
      nodeOf(TOP_CA_ID, null, topIssuing.certificate, 'active', tree.issuing === TOP_CA_ID),
      ...tree.nodes.map((n) => nodeOf(n.name, n.parent, certificateOf(n), n.state, tree.issuing === n.name)),
    ];
  };

  const nodeById = async (tree: StoredCaTree, id: string): Promise<CaNode> => {
    const all = await nodes(tree);
    const found = all.find((n) => n.id === id);
    if (!found) throw badRequest(`no CA "${id}" in this issuer's hierarchy`);
    return found;
  };

  /** One mutation at a time in this process; each starts from what is stored now. */
  const mutate = <T>(change: (tree: StoredCaTree) => Promise<T>): Promise<T> => {
    const run = queue.then(async () => change(await readTree(secrets)));
    queue = run.catch(() => {});
    return run;
  };

  let issuingCache: { name: string; ca: Promise<IssuingCa> } | undefined;
  // Leaves are signed at a high rate: the stored tree is re-read at most this often, so a change made
  // through another replica is seen within this delay (changes made here are seen at once).
  let treeCache: { tree: Promise<StoredCaTree>; at: number } | undefined;
  const TREE_TTL_MS = 5_000;
  const currentTree = (): Promise<StoredCaTree> => {
    const now = Date.now();
    if (!treeCache || now - treeCache.at > TREE_TTL_MS) {
      const tree = readTree(secrets);
      treeCache = { tree, at: now };
      tree.catch(() => {
        if (treeCache?.tree === tree) treeCache = undefined;
      });
    }
    return treeCache.tree;
  };
  const remember = (tree: StoredCaTree) => {
    treeCache = { tree: Promise.resolve(tree), at: Date.now() };
  };

  return {
    async issuingCa() {
      const tree = await currentTree();
      if (issuingCache?.name !== tree.issuing) {
        const ca = issuingCaFor(tree, tree.issuing);
        issuingCache = { name: tree.issuing, ca };
        ca.catch(() => {
          if (issuingCache?.ca === ca) issuingCache = undefined;
        });
      }
      return issuingCache.ca;
    },

    async list() {
      return nodes(await readTree(secrets));
    },

    create(request) {
      return mutate(async (tree) => {
        if (!CA_NAME.test(request.name) || request.name === TOP_CA_ID) {
          throw badRequest(`CA name "${request.name}" must match ${CA_NAME} and not be "${TOP_CA_ID}"`);
        }
        if (tree.nodes.some((n) => n.name === request.name))
          throw badRequest(`a CA named "${request.name}" already exists`);
        if (!Number.isInteger(request.validityDays) || request.validityDays < 1 || request.validityDays > 36_500) {
          throw badRequest('validityDays must be a whole number of days between 1 and 36500');
        }
        if (
          request.pathLength !== undefined &&
          (!Number.isInteger(request.pathLength) || request.pathLength < 0 || request.pathLength > 16)
        ) {
          throw badRequest('pathLength must be a whole number between 0 and 16');
        }
        validateConstraints(request.nameConstraints);
        const parentId = request.parentId ?? TOP_CA_ID;
        if (parentId !== TOP_CA_ID && find(tree, parentId).state !== 'active') {
          throw refused(`CA "${parentId}" is ${find(tree, parentId).state}: it signs no new CA`);
        }
        const parent = await issuingCaFor(tree, parentId);
        // RFC 5280 4.2.1.9: an ancestor with pathLenConstraint p allows at most p CAs below it.
        let allowed: number | undefined;
        const path = [parent.certificate, ...parent.parents];
        path.forEach((ancestor, distance) => {
          const limit = ancestor.basicConstraints?.pathLength;
          if (limit === undefined) return;
          const left = limit - (distance + 1);
          if (left < 0) {
            throw refused(
              `"${ancestor.subject}" has pathLenConstraint ${limit}: no CA may be created ${distance + 1} level(s) below it`,
            );
          }
          allowed = allowed === undefined ? left : Math.min(allowed, left);
        });
        if (request.pathLength !== undefined && allowed !== undefined && request.pathLength > allowed) {
          throw refused(`pathLength ${request.pathLength} exceeds what the CAs above allow (${allowed})`);
        }
        const now = clock.now();
        const notBefore = new Date(Math.floor((now.getTime() - BACKDATE_MS) / 1000) * 1000);
        const wanted = new Date(notBefore.getTime() + request.validityDays * DAY_MS);
        const notAfter = wanted > parent.certificate.notAfter ? parent.certificate.notAfter : wanted;
        const subject: NameInput = [
          ...(request.organization ? ([['O', request.organization]] as [string, string][]) : []),
          ['CN', request.commonName],
        ];
        const authority = await createCertificateAuthority({
          subject,
          keyAlgorithm: request.keyAlgorithm ?? 'ecdsa-p256',
          issuer: { certificate: parent.certificate.der, privateKey: parent.signingKey },
          pathLength: request.pathLength ?? allowed,
          nameConstraints: toConstraintsInput(request.nameConstraints),
          notBefore,
          notAfter,
        });
        // The key first: a document never names a CA whose key was not stored.
        await secrets.set(caKeySecret(request.name), exportPrivateKeyPem(authority.keys.privateKey));
        const stored: StoredCaNode = {
          name: request.name,
          parent: parentId,
          state: 'active',
          certificate_pem: authority.certificate.pem,
          ...(request.nameConstraints ? { name_constraints: request.nameConstraints } : {}),
          created_at: now.toISOString(),
        };
        const next: StoredCaTree = {
          ...tree,
          issuing: request.issuing ? request.name : tree.issuing,
          nodes: [...tree.nodes, stored],
        };
        await writeTree(secrets, next);
        remember(next);
        logger.info(
          {
            ca: request.name,
            parent: parentId,
            subject: certificateOf(stored).subject,
            issuing: next.issuing === request.name,
          },
          'created an intermediate CA',
        );
        return nodeById(next, request.name);
      });
    },

    setIssuing(id) {
      return mutate(async (tree) => {
        if (id !== TOP_CA_ID) {
          const node = find(tree, id);
          if (node.state !== 'active') throw refused(`CA "${id}" is ${node.state}: it cannot become the issuing CA`);
        }
        const next = { ...tree, issuing: id };
        await issuingCaFor(next, id);
        await writeTree(secrets, next);
        remember(next);
        logger.info({ ca: id }, 'issuing CA changed');
        return nodeById(next, id);
      });
    },

    retire(request) {
      return mutate(async (tree) => {
        if (request.id === TOP_CA_ID)
          throw refused('the top of the hierarchy cannot be retired; delete the issuer instead');
        const node = find(tree, request.id);
        if (node.state === request.state) return nodeById(tree, request.id);
        const children = tree.nodes.filter((n) => n.parent === node.name);
        if (request.state === 'retiring') {
          if (node.state !== 'active') throw refused(`CA "${node.name}" is already ${node.state}`);
          if (tree.issuing === node.name)
            throw refused(`CA "${node.name}" signs this issuer's leaves: make another CA issuing first`);
          const active = children.filter((c) => c.state === 'active').map((c) => c.name);
          if (active.length > 0)
            throw refused(`CA "${node.name}" has active child CAs (${active.join(', ')}): retire them first`);
        } else {
          if (node.state !== 'retiring')
            throw refused(`CA "${node.name}" must be retiring (drained) before it is retired`);
          const live = children.filter((c) => c.state !== 'retired').map((c) => c.name);
          if (live.length > 0) throw refused(`CA "${node.name}" has child CAs not yet retired (${live.join(', ')})`);
        }
        const updated: StoredCaNode = {
          ...node,
          state: request.state,
          ...(request.state === 'retired' ? { retired_at: clock.now().toISOString() } : {}),
        };
        const next = { ...tree, nodes: tree.nodes.map((n) => (n === node ? updated : n)) };
        await writeTree(secrets, next);
        remember(next);
        if (request.state === 'retired') {
          await secrets.delete(caKeySecret(node.name));
          keys.delete(node.name);
        }
        logger.info({ ca: node.name, state: request.state }, 'CA state changed');
        return nodeById(next, request.id);
      });
    },

    checkLeafNames(ca, sans) {
      const names = {
        dns: sans.filter((s) => s.type === 'dns').map((s) => s.value),
        ip: sans.filter((s) => s.type === 'ip').map((s) => s.value),
        email: sans.filter((s) => s.type === 'email').map((s) => s.value),
      };
      for (const certificate of [ca.certificate, ...ca.parents]) {
        if (!certificate.nameConstraints) continue;
        const violation = findNameConstraintViolation(names, certificate.nameConstraints);
        if (violation) {
          throw new MalformedInputError({
            connector: CONNECTOR,
            inputKind: 'csr',
            message: `${violation.kind} name "${violation.name}" is outside the name constraints of "${certificate.subject}"`,
          });
        }
      }
    },
  };
}
