/**
 * PKCS#12 / PFX (RFC 7292): build and parse.
 *
 * Default output matches `openssl pkcs12 -export` of OpenSSL 3: key and certificates under PBES2
 * (PBKDF2-HMAC-SHA256, AES-256-CBC) and a SHA-256 MAC, which OpenSSL 3, Java 11+, macOS and Windows
 * Server 2019+ import. `legacy-3des` (pbeWithSHAAnd3-KeyTripleDES-CBC, SHA-1 MAC) is for older Java
 * and Windows. Parsing also reads openssl's `-legacy` files (RC2-40 certificates, via node-forge,
 * since Node's OpenSSL 3 has no RC2 without the legacy provider).
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  pbkdf2Sync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { MalformedInputError } from '@certctl/core';
import forge from 'node-forge';
import {
  algorithmIdentifier,
  type Asn1Node,
  ctx,
  integer,
  NULL_DER,
  octetString,
  oid,
  readBigInt,
  readDer,
  readImplicitOctets,
  readOctetString,
  readOid,
  readSmallInt,
  seq,
  setOf,
  TAG,
  tlv,
} from './asn1-der.js';
import { type CertificateInput, readCertificateFields } from './asn1-certificate-fields.js';
import {
  DIGEST_OIDS,
  type DigestName,
  digestNameForOid,
  type PrivateKeyInput,
  toPrivateKeyObject,
} from './asn1-signing.js';

export type Pkcs12Encryption = 'aes256' | 'legacy-3des';

export interface BuildPkcs12Options {
  /** Omit for a certificate-only file. */
  privateKey?: PrivateKeyInput;
  certificate: CertificateInput;
  /** Intermediates (and optionally the root), leaf excluded. */
  chain?: readonly CertificateInput[];
  password: string;
  /** Shown by Windows and keytool as the entry name / alias. */
  friendlyName?: string;
  /** Default aes256. */
  encryption?: Pkcs12Encryption;
  /** PBKDF2 / PKCS#12 KDF and MAC iterations; default 2048 (openssl 3's default). */
  iterations?: number;
}

export interface ParsedPkcs12 {
  /** PKCS#8 DER of the (first) private key, if the file holds one. */
  privateKeyPkcs8: Uint8Array | undefined;
  /** The certificate belonging to the key (by localKeyId, else the first certificate). */
  certificate: Uint8Array | undefined;
  /** Every certificate, the key's certificate first. */
  certificates: Uint8Array[];
  friendlyName: string | undefined;
}

const OID = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
  /** Oracle's trusted-certificate marker: keytool imports such certs as trusted entries. */
  javaTrustedKeyUsage: '2.16.840.1.113894.746875.1.1',
  anyExtendedKeyUsage: '2.5.29.37.0',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  pbeSha3Des: '1.2.840.113549.1.12.1.3',
  pbeSha2Des: '1.2.840.113549.1.12.1.4',
  pbeShaRc2_128: '1.2.840.113549.1.12.1.5',
  pbeShaRc2_40: '1.2.840.113549.1.12.1.6',
} as const;

const HMAC_PRF_OIDS: Record<string, DigestName | 'sha224'> = {
  '1.2.840.113549.2.7': 'sha1',
  '1.2.840.113549.2.8': 'sha224',
  '1.2.840.113549.2.9': 'sha256',
  '1.2.840.113549.2.10': 'sha384',
  '1.2.840.113549.2.11': 'sha512',
};

const PBES2_CIPHERS: Record<string, { name: string; keyLength: number; ivLength: number }> = {
  '2.16.840.1.101.3.4.1.2': { name: 'aes-128-cbc', keyLength: 16, ivLength: 16 },
  '2.16.840.1.101.3.4.1.22': { name: 'aes-192-cbc', keyLength: 24, ivLength: 16 },
  '2.16.840.1.101.3.4.1.42': { name: 'aes-256-cbc', keyLength: 32, ivLength: 16 },
  '1.2.840.113549.3.7': { name: 'des-ede3-cbc', keyLength: 24, ivLength: 8 },
};

const MAX_ITERATIONS = 10_000_000;

function malformed(message: string, cause?: unknown): MalformedInputError {
  return new MalformedInputError({ inputKind: 'pkcs12', message, cause });
}

// ---------------------------------------------------------------------------------------------
// Key derivation
// ---------------------------------------------------------------------------------------------

/** Password as a NUL-terminated big-endian BMPString, as the PKCS#12 KDF wants it. */
function bmpPassword(password: string): Buffer {
  const out = Buffer.alloc((password.length + 1) * 2);
  for (let i = 0; i < password.length; i++) out.writeUInt16BE(password.charCodeAt(i), i * 2);
  return out;
}

const BLOCK_SIZES: Record<string, number> = { sha1: 64, sha224: 64, sha256: 64, sha384: 128, sha512: 128 };

/** RFC 7292 appendix B.2 key derivation. `id`: 1 key, 2 IV, 3 MAC key. */
function pkcs12Kdf(
  hash: string,
  password: string,
  salt: Uint8Array,
  iterations: number,
  id: 1 | 2 | 3,
  length: number,
): Buffer {
  const v = BLOCK_SIZES[hash];
  if (!v) throw malformed(`unsupported PKCS#12 KDF hash ${hash}`);
  const fill = (data: Uint8Array): Buffer => {
    const n = data.length === 0 ? 0 : v * Math.ceil(data.length / v);
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = data[i % data.length]!;
    return out;
  };
  const D = Buffer.alloc(v, id);
  const I = Buffer.concat([fill(salt), fill(bmpPassword(password))]);
  const chunks: Buffer[] = [];
  let produced = 0;
  while (produced < length) {
    let A = createHash(hash).update(D).update(I).digest();
    for (let r = 1; r < iterations; r++) A = createHash(hash).update(A).digest();
    chunks.push(A);
    produced += A.length;
    const B = fill(A);
    for (let j = 0; j < I.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = I[j + k]! + B[k]! + carry;
        I[j + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  return Buffer.concat(chunks).subarray(0, length);
}

// ---------------------------------------------------------------------------------------------
// Encryption schemes
// ---------------------------------------------------------------------------------------------

interface EncryptedBlob {
  algorithm: Uint8Array;
  ciphertext: Uint8Array;
}

function encryptWith(
  scheme: Pkcs12Encryption,
  password: string,
  iterations: number,
  plaintext: Uint8Array,
): EncryptedBlob {
  const salt = randomBytes(scheme === 'aes256' ? 16 : 8);
  if (scheme === 'legacy-3des') {
    const key = pkcs12Kdf('sha1', password, salt, iterations, 1, 24);
    const iv = pkcs12Kdf('sha1', password, salt, iterations, 2, 8);
    const cipher = createCipheriv('des-ede3-cbc', key, iv);
    return {
      algorithm: algorithmIdentifier(OID.pbeSha3Des, seq(octetString(salt), integer(iterations))),
      ciphertext: Buffer.concat([cipher.update(plaintext), cipher.final()]),
    };
  }
  const iv = randomBytes(16);
  const key = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, 32, 'sha256');
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  const kdf = algorithmIdentifier(
    OID.pbkdf2,
    seq(octetString(salt), integer(iterations), algorithmIdentifier('1.2.840.113549.2.9', NULL_DER)),
  );
  return {
    algorithm: algorithmIdentifier(
      OID.pbes2,
      seq(kdf, algorithmIdentifier('2.16.840.1.101.3.4.1.42', octetString(iv))),
    ),
    ciphertext: Buffer.concat([cipher.update(plaintext), cipher.final()]),
  };
}

function readIterations(node: Asn1Node): number {
  const iterations = readSmallInt(node, 'iterationCount');
  if (iterations < 1 || iterations > MAX_ITERATIONS) throw new Error('iteration count out of range');
  return iterations;
}

/** Decrypts with a PBES2 or PKCS#12 PBE AlgorithmIdentifier; throws on a wrong password or padding. */
function decryptWith(algorithmNode: Asn1Node, password: string, ciphertext: Uint8Array): Uint8Array {
  const [oidNode, params] = algorithmNode.seq('encryptionAlgorithm');
  if (!oidNode || !params) throw new Error('encryption algorithm without parameters');
  const algorithm = readOid(oidNode);
  if (algorithm === OID.pbes2) {
    const [kdf, scheme] = params.seq('PBES2-params');
    if (!kdf || !scheme) throw new Error('PBES2 parameters are truncated');
    const [kdfOid, kdfParams] = kdf.seq('keyDerivationFunc');
    if (!kdfOid || readOid(kdfOid) !== OID.pbkdf2 || !kdfParams) throw new Error('only PBKDF2 is supported in PBES2');
    const fields = kdfParams.seq('PBKDF2-params');
    const salt = readOctetString(fields[0] ?? kdfParams, 'salt');
    const iterations = readIterations(fields[1] ?? kdfParams);
    let prf: string = 'sha1';
    let keyLength: number | undefined;
    for (const field of fields.slice(2)) {
      if (field.tag === TAG.integer) keyLength = readSmallInt(field, 'keyLength');
      else {
        const [prfOid] = field.seq('prf');
        const name = prfOid && HMAC_PRF_OIDS[readOid(prfOid)];
        if (!name) throw new Error('unsupported PBKDF2 PRF');
        prf = name;
      }
    }
    const [schemeOid, ivNode] = scheme.seq('encryptionScheme');
    const cipher = schemeOid && PBES2_CIPHERS[readOid(schemeOid)];
    if (!cipher || !ivNode) throw new Error('unsupported PBES2 encryption scheme');
    const iv = readOctetString(ivNode, 'IV');
    if (iv.length !== cipher.ivLength || (keyLength !== undefined && keyLength !== cipher.keyLength)) {
      throw new Error('PBES2 IV or key length does not fit the cipher');
    }
    const key = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, cipher.keyLength, prf);
    const decipher = createDecipheriv(cipher.name, key, iv);
    return new Uint8Array(Buffer.concat([decipher.update(ciphertext), decipher.final()]));
  }
  const [saltNode, iterationsNode] = params.seq('pkcs-12PbeParams');
  if (!saltNode || !iterationsNode) throw new Error('PBE parameters are truncated');
  const salt = readOctetString(saltNode, 'salt');
  const iterations = readIterations(iterationsNode);
  if (algorithm === OID.pbeSha3Des || algorithm === OID.pbeSha2Des) {
    const key = pkcs12Kdf('sha1', password, salt, iterations, 1, 24);
    if (algorithm === OID.pbeSha2Des) key.copy(key, 16, 0, 8); // two-key 3DES: K1 K2 K1
    const iv = pkcs12Kdf('sha1', password, salt, iterations, 2, 8);
    const decipher = createDecipheriv('des-ede3-cbc', key, iv);
    return new Uint8Array(Buffer.concat([decipher.update(ciphertext), decipher.final()]));
  }
  if (algorithm === OID.pbeShaRc2_40 || algorithm === OID.pbeShaRc2_128) {
    const bits = algorithm === OID.pbeShaRc2_40 ? 40 : 128;
    const key = pkcs12Kdf('sha1', password, salt, iterations, 1, bits / 8);
    const iv = pkcs12Kdf('sha1', password, salt, iterations, 2, 8);
    const decipher = forge.rc2.createDecryptionCipher(key.toString('binary'), bits);
    decipher.start(forge.util.createBuffer(iv.toString('binary')));
    decipher.update(forge.util.createBuffer(Buffer.from(ciphertext).toString('binary')));
    if (!decipher.finish()) throw new Error('bad decrypt');
    return new Uint8Array(Buffer.from(decipher.output.getBytes(), 'binary'));
  }
  throw new Error(`unsupported encryption algorithm ${algorithm}`);
}

// ---------------------------------------------------------------------------------------------
// Building
// ---------------------------------------------------------------------------------------------

function bmpString(text: string): Uint8Array {
  const out = Buffer.alloc(text.length * 2);
  for (let i = 0; i < text.length; i++) out.writeUInt16BE(text.charCodeAt(i), i * 2);
  return tlv(TAG.bmpString, out);
}

function attribute(attributeOid: string, value: Uint8Array): Uint8Array {
  return seq(oid(attributeOid), setOf(value));
}

function safeBag(bagOid: string, value: Uint8Array, attributes: Uint8Array[]): Uint8Array {
  return attributes.length > 0
    ? seq(oid(bagOid), ctx(0, [value]), setOf(...attributes))
    : seq(oid(bagOid), ctx(0, [value]));
}

function dataContentInfo(content: Uint8Array): Uint8Array {
  return seq(oid(OID.data), ctx(0, [octetString(content)]));
}

/** Builds a .p12 (DER) from a key, its certificate and chain, or certificates alone. */
export function buildPkcs12(options: BuildPkcs12Options): Uint8Array {
  if (typeof options.password !== 'string') throw malformed('a PKCS#12 password is required (it may be empty)');
  const scheme = options.encryption ?? 'aes256';
  if (scheme !== 'aes256' && scheme !== 'legacy-3des') throw malformed(`unknown PKCS#12 encryption ${String(scheme)}`);
  const iterations = options.iterations ?? 2048;
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS)
    throw malformed('iterations out of range');
  const leaf = readCertificateFields(options.certificate);
  const chain = (options.chain ?? []).map((c) => readCertificateFields(c));
  const localKeyId = createHash('sha1').update(leaf.der).digest();
  const keyAttributes = [attribute(OID.localKeyId, octetString(localKeyId))];
  if (options.friendlyName !== undefined)
    keyAttributes.unshift(attribute(OID.friendlyName, bmpString(options.friendlyName)));

  const certOnly = options.privateKey === undefined;
  const certBags = [leaf, ...chain].map((cert, index) => {
    const attributes: Uint8Array[] = [];
    if (index === 0 && !certOnly) attributes.push(...keyAttributes);
    if (index === 0 && certOnly && options.friendlyName !== undefined) {
      attributes.push(attribute(OID.friendlyName, bmpString(options.friendlyName)));
    }
    if (certOnly) attributes.push(attribute(OID.javaTrustedKeyUsage, oid(OID.anyExtendedKeyUsage)));
    return safeBag(OID.certBag, seq(oid(OID.x509Certificate), ctx(0, [octetString(cert.der)])), attributes);
  });
  const certsEncrypted = encryptWith(scheme, options.password, iterations, seq(...certBags));
  const authSafe: Uint8Array[] = [
    seq(
      oid(OID.encryptedData),
      ctx(0, [
        seq(integer(0), seq(oid(OID.data), certsEncrypted.algorithm, ctx(0, [certsEncrypted.ciphertext], true))),
      ]),
    ),
  ];
  if (options.privateKey !== undefined) {
    const key = toPrivateKeyObject(options.privateKey);
    const pkcs8 = new Uint8Array(key.export({ format: 'der', type: 'pkcs8' }));
    const encrypted = encryptWith(scheme, options.password, iterations, pkcs8);
    const shrouded = seq(encrypted.algorithm, octetString(encrypted.ciphertext));
    authSafe.push(dataContentInfo(seq(safeBag(OID.shroudedKeyBag, shrouded, keyAttributes))));
  }
  const authSafeContent = seq(...authSafe);
  const macHash: DigestName = scheme === 'aes256' ? 'sha256' : 'sha1';
  const macSalt = randomBytes(scheme === 'aes256' ? 16 : 8);
  const macKey = pkcs12Kdf(macHash, options.password, macSalt, iterations, 3, createHash(macHash).digest().length);
  const mac = createHmac(macHash, macKey).update(authSafeContent).digest();
  const macData = seq(
    seq(algorithmIdentifier(DIGEST_OIDS[macHash], NULL_DER), octetString(mac)),
    octetString(macSalt),
    integer(iterations),
  );
  return seq(integer(3), dataContentInfo(authSafeContent), macData);
}

/** A certificate-only .p12 (certificate and chain, no key), e.g. for trust-store import or API export. */
export function buildCertificatePkcs12(options: Omit<BuildPkcs12Options, 'privateKey'>): Uint8Array {
  return buildPkcs12({ ...options, privateKey: undefined });
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

function readDataContent(contentInfo: Asn1Node): Uint8Array {
  const [typeNode, explicit] = contentInfo.seq('ContentInfo');
  if (!typeNode || readOid(typeNode) !== OID.data || !explicit || explicit.tag !== 0xa0)
    throw new Error('expected a data ContentInfo');
  const [octets] = explicit.children();
  if (!octets) throw new Error('data ContentInfo is empty');
  return readOctetString(octets, 'data');
}

class WrongPasswordError extends Error {}

function verifyMac(macData: Asn1Node, password: string, content: Uint8Array): void {
  const [digestInfo, saltNode, iterationsNode] = macData.seq('MacData');
  if (!digestInfo || !saltNode) throw new Error('MacData is truncated');
  const [algNode, digestNode] = digestInfo.seq('DigestInfo');
  if (!algNode || !digestNode) throw new Error('DigestInfo is truncated');
  const [algOid] = algNode.seq('digestAlgorithm');
  const hash =
    algOid &&
    (digestNameForOid(readOid(algOid)) ?? (readOid(algOid) === '2.16.840.1.101.3.4.2.4' ? 'sha224' : undefined));
  if (!hash) throw new Error('unsupported MAC digest (PBMAC1 is not supported)');
  const iterations = iterationsNode ? readIterations(iterationsNode) : 1;
  const expected = readOctetString(digestNode, 'digest');
  const salt = readOctetString(saltNode, 'macSalt');
  const macKey = pkcs12Kdf(hash, password, salt, iterations, 3, createHash(hash).digest().length);
  const actual = createHmac(hash, macKey).update(content).digest();
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) throw new WrongPasswordError();
}

interface Bag {
  kind: 'key' | 'cert';
  der: Uint8Array;
  localKeyId: Uint8Array | undefined;
  friendlyName: string | undefined;
}

function readBagAttributes(node: Asn1Node | undefined): { localKeyId?: Uint8Array; friendlyName?: string } {
  const result: { localKeyId?: Uint8Array; friendlyName?: string } = {};
  for (const attr of node?.seq('bagAttributes', TAG.set) ?? []) {
    const [typeNode, values] = attr.seq('PKCS12Attribute');
    if (!typeNode || !values) throw new Error('bag attribute is truncated');
    const [value] = values.seq('attrValues', TAG.set);
    if (!value) continue;
    const type = readOid(typeNode);
    if (type === OID.localKeyId) result.localKeyId = readOctetString(value, 'localKeyId');
    else if (type === OID.friendlyName && value.tag === TAG.bmpString) {
      const bytes = value.value;
      let text = '';
      for (let i = 0; i + 1 < bytes.length; i += 2) text += String.fromCharCode((bytes[i]! << 8) | bytes[i + 1]!);
      result.friendlyName = text;
    }
  }
  return result;
}

function readSafeContents(der: Uint8Array, password: string, bags: Bag[]): void {
  for (const bag of readDer(der).seq('SafeContents')) {
    const [typeNode, valueWrapper, attributes] = bag.seq('SafeBag');
    if (!typeNode || !valueWrapper || valueWrapper.tag !== 0xa0) throw new Error('SafeBag is malformed');
    const [value] = valueWrapper.children();
    if (!value) throw new Error('SafeBag value is empty');
    const type = readOid(typeNode);
    const attrs = readBagAttributes(attributes);
    const base = { localKeyId: attrs.localKeyId, friendlyName: attrs.friendlyName };
    if (type === OID.keyBag) {
      bags.push({ kind: 'key', der: value.expect(TAG.sequence, 'PrivateKeyInfo').raw, ...base });
    } else if (type === OID.shroudedKeyBag) {
      const [algorithm, encrypted] = value.seq('EncryptedPrivateKeyInfo');
      if (!algorithm || !encrypted) throw new Error('EncryptedPrivateKeyInfo is truncated');
      let pkcs8: Uint8Array;
      try {
        pkcs8 = decryptWith(algorithm, password, readOctetString(encrypted, 'encryptedData'));
      } catch {
        throw new WrongPasswordError();
      }
      readDer(pkcs8).expect(TAG.sequence, 'PrivateKeyInfo');
      bags.push({ kind: 'key', der: pkcs8, ...base });
    } else if (type === OID.certBag) {
      const [certType, certValue] = value.seq('CertBag');
      if (!certType || !certValue || certValue.tag !== 0xa0) throw new Error('CertBag is malformed');
      if (readOid(certType) !== OID.x509Certificate) continue; // SDSI certificates: not supported, skipped
      const [octets] = certValue.children();
      if (!octets) throw new Error('CertBag is empty');
      const cert = readOctetString(octets, 'certValue');
      readCertificateFields(cert);
      bags.push({ kind: 'cert', der: cert, ...base });
    }
    // CRL bags, secret bags and nested SafeContents are ignored.
  }
}

/**
 * Parses a .p12 with its password; returns the private key (PKCS#8 DER) and certificates. A wrong
 * password and a corrupted file both throw MalformedInputError (`pkcs12`).
 */
export function parsePkcs12(input: Uint8Array, password: string): ParsedPkcs12 {
  if (!(input instanceof Uint8Array)) throw malformed('PKCS#12 input must be DER bytes');
  try {
    const [versionNode, authSafe, macData, extra] = readDer(input).seq('PFX');
    if (!versionNode || !authSafe || extra) throw new Error('PFX must have version, authSafe and optional macData');
    if (readBigInt(versionNode, 'version') !== 3n) throw new Error('unsupported PFX version');
    const content = readDataContent(authSafe);
    if (macData) verifyMac(macData, password, content);
    const bags: Bag[] = [];
    for (const contentInfo of readDer(content).seq('AuthenticatedSafe')) {
      const [typeNode, explicit] = contentInfo.seq('ContentInfo');
      if (!typeNode || !explicit) throw new Error('ContentInfo is truncated');
      const type = readOid(typeNode);
      if (type === OID.data) {
        readSafeContents(readDataContent(contentInfo), password, bags);
      } else if (type === OID.encryptedData) {
        const [encryptedData] = explicit.children();
        const [, encryptedContentInfo] = encryptedData?.seq('EncryptedData') ?? [];
        const [, algorithm, encrypted] = encryptedContentInfo?.seq('EncryptedContentInfo') ?? [];
        if (!algorithm || !encrypted) throw new Error('EncryptedData is truncated');
        let plaintext: Uint8Array;
        try {
          plaintext = decryptWith(algorithm, password, readImplicitOctets(encrypted));
        } catch (cause) {
          if (cause instanceof Error && /unsupported/.test(cause.message)) throw cause;
          throw new WrongPasswordError();
        }
        readSafeContents(plaintext, password, bags);
      } else {
        throw new Error(`unsupported AuthenticatedSafe content type ${type} (public-key privacy mode)`);
      }
    }
    const key = bags.find((b) => b.kind === 'key');
    const certs = bags.filter((b) => b.kind === 'cert');
    const keyCert =
      (key?.localKeyId &&
        certs.find(
          (c) => c.localKeyId && Buffer.compare(Buffer.from(c.localKeyId), Buffer.from(key.localKeyId!)) === 0,
        )) ||
      certs[0];
    const ordered = keyCert ? [keyCert, ...certs.filter((c) => c !== keyCert)] : certs;
    return {
      privateKeyPkcs8: key?.der,
      certificate: keyCert?.der,
      certificates: ordered.map((c) => c.der),
      friendlyName: key?.friendlyName ?? keyCert?.friendlyName,
    };
  } catch (cause) {
    if (cause instanceof WrongPasswordError) {
      throw malformed('PKCS#12 MAC or decryption failed: wrong password or corrupted file');
    }
    if (MalformedInputError.isInstance(cause)) {
      throw malformed(`PKCS#12 contains an invalid item: ${cause.message}`, cause);
    }
    throw malformed(`PKCS#12 could not be parsed: ${(cause as Error).message}`, cause);
  }
}
