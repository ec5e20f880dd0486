import { createPrivateKey, X509Certificate } from 'node:crypto';
import { MalformedInputError } from '@certctl/core';
import { derToPem, splitPemBundle } from '@certctl/pki';

const PRIVATE_KEY_LABELS = new Set(['PRIVATE KEY', 'EC PRIVATE KEY', 'RSA PRIVATE KEY']);

function malformed(message: string, cause?: unknown): MalformedInputError {
  return new MalformedInputError({ inputKind: 'pem', message, cause });
}

/** PEM text with LF line endings, no BOM, no trailing blanks, no blank edges, and exactly one final newline. */
export function normalizePem(text: string): string {
  const lines = text
    .replace(/^\uFEFF/, '')
    .split(/\r\n|\r|\n/)
    .map((line) => line.replace(/[ \t]+$/, ''));
  while (lines.length > 0 && lines[0] === '') lines.shift();
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** The certificates of a PEM bundle, each re-encoded canonically; refuses a bundle holding anything else (a key!). */
export function splitCertificates(bundle: string): string[] {
  const blocks = splitPemBundle(bundle);
  const stray = blocks.find((block) => block.label !== 'CERTIFICATE');
  if (stray) {
    throw malformed(
      `expected only certificates but the bundle holds a "${stray.label}" block; keep keys out of certificate files`,
    );
  }
  return blocks.map((block) => derToPem(block.der, 'CERTIFICATE'));
}

interface Node {
  pem: string;
  cert: X509Certificate;
}

function parse(pem: string): Node {
  try {
    return { pem, cert: new X509Certificate(pem) };
  } catch (cause) {
    throw malformed('a CERTIFICATE block does not hold a parsable X.509 certificate', cause);
  }
}

function issuedBy(child: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return child.checkIssued(issuer) && child.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

const isSelfSigned = (cert: X509Certificate): boolean => issuedBy(cert, cert);

/**
 * Orders certificates leaf → intermediates → root by signature, dropping duplicates. Throws when
 * they are not one chain (two leaves, or a certificate that does not belong to the leaf's path).
 */
export function orderCertificateChain(pems: readonly string[]): string[] {
  const seen = new Set<string>();
  const nodes: Node[] = [];
  for (const pem of pems.flatMap((p) => splitCertificates(p))) {
    const node = parse(pem);
    if (seen.has(node.cert.fingerprint256)) continue;
    seen.add(node.cert.fingerprint256);
    nodes.push(node);
  }
  if (nodes.length <= 1) return nodes.map((n) => n.pem);

  const isIssuerOfAnother = (candidate: Node) =>
    nodes.some((other) => other !== candidate && issuedBy(other.cert, candidate.cert));
  let leaves = nodes.filter((node) => !isIssuerOfAnother(node));
  // A stray self-signed root also issues nothing here; the leaf is the one that is not self-signed.
  if (leaves.length > 1) {
    const issued = leaves.filter((node) => !isSelfSigned(node.cert));
    if (issued.length === 1) leaves = issued;
  }
  if (leaves.length !== 1) {
    throw malformed(
      `the certificates do not form one chain: ${leaves.length === 0 ? 'they issue each other in a loop' : `${leaves.length} of them issue nothing (${leaves.map((l) => l.cert.subject.replace(/\n/g, ', ')).join(' | ')})`}`,
    );
  }
  const ordered: Node[] = [leaves[0]!];
  for (;;) {
    const current = ordered[ordered.length - 1]!;
    if (isSelfSigned(current.cert)) break;
    const next = nodes.find((node) => !ordered.includes(node) && issuedBy(current.cert, node.cert));
    if (!next) break;
    ordered.push(next);
  }
  if (ordered.length !== nodes.length) {
    const strays = nodes.filter((node) => !ordered.includes(node)).map((n) => n.cert.subject.replace(/\n/g, ', '));
    throw malformed(`the bundle holds certificates outside the leaf's chain: ${strays.join(' | ')}`);
  }
  return ordered.map((n) => n.pem);
}

export interface FullchainOptions {
  /** Leave out a self-signed root (clients have it already); default false: keep what the CA sent. */
  dropRoot?: boolean;
}

/** Leaf followed by its chain in order (what nginx calls `ssl_certificate`); throws if the chain is not the leaf's. */
export function buildFullchain(certPem: string, chainPem = '', options: FullchainOptions = {}): string {
  const leaf = splitCertificates(certPem);
  if (leaf.length !== 1) throw malformed(`expected exactly one certificate as the leaf, found ${leaf.length}`);
  const leafCert = parse(leaf[0]!).cert;
  const chain = splitCertificates(chainPem).filter((c) => c !== leaf[0]);
  if (chain.length > 0 && !chain.some((c) => issuedBy(leafCert, parse(c).cert))) {
    throw malformed(
      `the chain does not hold the issuer of the certificate (${leafCert.issuer.replace(/\n/g, ', ')}); it belongs to another certificate`,
    );
  }
  const ordered = orderCertificateChain([leaf[0]!, ...chain]);
  if (ordered[0] !== leaf[0])
    throw malformed('the chain holds a certificate issued by the leaf; pass the end-entity certificate as the leaf');
  const kept =
    options.dropRoot && ordered.length > 1 && isSelfSigned(parse(ordered[ordered.length - 1]!).cert)
      ? ordered.slice(0, -1)
      : ordered;
  return kept.join('');
}

/**
 * The private key as one canonical PEM block, after checking it belongs to the leaf of `certPem`.
 * Refuses encrypted keys, several blocks, or a key of another certificate (MalformedInputError).
 */
export function privateKeyPemFor(certPem: string, keyPem: string): string {
  const leaf = splitCertificates(certPem)[0];
  if (!leaf) throw malformed('expected a certificate to check the private key against, found none');
  const keyBlocks = splitPemBundle(keyPem);
  const keyBlock = keyBlocks[0];
  if (keyBlocks.length !== 1 || !keyBlock || !PRIVATE_KEY_LABELS.has(keyBlock.label)) {
    throw malformed(
      'expected exactly one unencrypted private key block (PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY)',
    );
  }
  const key = derToPem(keyBlock.der, keyBlock.label);
  let matches: boolean;
  try {
    matches = parse(leaf).cert.checkPrivateKey(createPrivateKey(key));
  } catch (cause) {
    throw malformed('the private key could not be parsed', cause);
  }
  if (!matches) throw malformed('the private key does not belong to the certificate');
  return key;
}

/** Fullchain then private key in one file, as HAProxy loads it; refuses a key that does not match the leaf. */
export function buildCombinedPem(
  certPem: string,
  chainPem: string,
  keyPem: string,
  options: FullchainOptions = {},
): string {
  const fullchain = buildFullchain(certPem, chainPem, options);
  return fullchain + privateKeyPemFor(fullchain, keyPem);
}
