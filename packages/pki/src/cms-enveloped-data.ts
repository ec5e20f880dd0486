/**
 * CMS EnvelopedData (RFC 5652 section 6) with RSA key transport, and AuthEnvelopedData (RFC 5083)
 * for AES-GCM. Content: AES-128/192/256-CBC, AES-128/256-GCM, 3DES-CBC (decryption of what SCEP
 * clients and openssl send by default; encryption only on request).
 *
 * Node 20 refuses RSAES-PKCS1-v1_5 private decryption (CVE-2023-46809) and WebCrypto lacks it, so
 * PKCS#1 v1.5 content keys are unwrapped with node-forge. Any unwrap failure continues with a random
 * key and ends in the same generic error as a content failure: no padding oracle.
 */
import {
  constants,
  createCipheriv,
  createDecipheriv,
  createPublicKey,
  type KeyObject,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
} from 'node:crypto';
import forge from 'node-forge';
import { type CertificateFields, type CertificateInput, readCertificateFields } from './asn1-certificate-fields.js';
import {
  type Asn1Node,
  algorithmIdentifier,
  ctx,
  integer,
  NULL_DER,
  octetString,
  oid,
  readImplicitOctets,
  readOctetString,
  readOid,
  readSmallInt,
  seq,
  setOf,
  TAG,
} from './asn1-der.js';
import {
  DIGEST_OIDS,
  type DigestName,
  digestNameForOid,
  type PrivateKeyInput,
  RSA_ENCRYPTION_OID,
  toPrivateKeyObject,
} from './asn1-signing.js';
import {
  CMS_CONTENT_TYPES,
  type CmsIdentifier,
  type CmsInput,
  cmsMalformed,
  guardCms,
  identifierMatches,
  issuerAndSerialNumber,
  readCmsIdentifier,
  readContentInfo,
  wrapContentInfo,
} from './cms-content-info.js';

export type CmsContentEncryption =
  | 'aes-128-cbc'
  | 'aes-192-cbc'
  | 'aes-256-cbc'
  | 'aes-128-gcm'
  | 'aes-256-gcm'
  | 'des-ede3-cbc'
  /** Single DES: read only (old SCEP clients such as micromdm scepclient 2.x send it); never written. */
  | 'des-cbc';
/** RSA key transport: OAEP with SHA-1 (the RFC 3560 default most peers support), OAEP with SHA-256, or PKCS#1 v1.5. */
export type CmsKeyTransport = 'rsa-oaep' | 'rsa-oaep-sha256' | 'rsa-pkcs1';

interface CipherSpec {
  name: CmsContentEncryption;
  oid: string;
  keyLength: number;
  ivLength: number;
  gcm: boolean;
}

const CIPHERS: CipherSpec[] = [
  { name: 'aes-128-cbc', oid: '2.16.840.1.101.3.4.1.2', keyLength: 16, ivLength: 16, gcm: false },
  { name: 'aes-192-cbc', oid: '2.16.840.1.101.3.4.1.22', keyLength: 24, ivLength: 16, gcm: false },
  { name: 'aes-256-cbc', oid: '2.16.840.1.101.3.4.1.42', keyLength: 32, ivLength: 16, gcm: false },
  { name: 'des-ede3-cbc', oid: '1.2.840.113549.3.7', keyLength: 24, ivLength: 8, gcm: false },
  { name: 'des-cbc', oid: '1.3.14.3.2.7', keyLength: 8, ivLength: 8, gcm: false },
  { name: 'aes-128-gcm', oid: '2.16.840.1.101.3.4.1.6', keyLength: 16, ivLength: 12, gcm: true },
  { name: 'aes-256-gcm', oid: '2.16.840.1.101.3.4.1.46', keyLength: 32, ivLength: 12, gcm: true },
];
const CIPHER_BY_NAME = new Map(CIPHERS.map((c) => [c.name, c]));
const CIPHER_BY_OID = new Map(CIPHERS.map((c) => [c.oid, c]));

const RSAES_OAEP_OID = '1.2.840.113549.1.1.7';
const MGF1_OID = '1.2.840.113549.1.1.8';
const GCM_TAG_LENGTH = 16;

export interface EncryptEnvelopedDataOptions {
  content: Uint8Array;
  /** RSA recipient certificates; each gets the content key wrapped to its public key. */
  recipients: readonly CertificateInput[];
  /** Default aes-256-cbc. GCM produces an AuthEnvelopedData (RFC 5083). */
  contentEncryption?: CmsContentEncryption;
  /** Default rsa-oaep. SCEP clients generally need rsa-pkcs1. */
  keyTransport?: CmsKeyTransport;
  /** Type of the encrypted content; default id-data. */
  contentType?: string;
}

function oaepParams(hash: 'sha1' | 'sha256'): Uint8Array {
  if (hash === 'sha1') return seq(); // all defaults: SHA-1, MGF1-SHA-1
  const sha256 = algorithmIdentifier(DIGEST_OIDS.sha256, NULL_DER);
  return seq(ctx(0, [sha256]), ctx(1, [algorithmIdentifier(MGF1_OID, sha256)]));
}

function keyTransRecipientInfo(
  recipient: CertificateFields,
  contentKey: Uint8Array,
  transport: CmsKeyTransport,
): Uint8Array {
  const publicKey = createPublicKey({ key: Buffer.from(recipient.spkiDer), format: 'der', type: 'spki' });
  if (publicKey.asymmetricKeyType !== 'rsa') {
    throw cmsMalformed(
      `recipient key type ${publicKey.asymmetricKeyType ?? 'unknown'} is not supported (RSA key transport only)`,
    );
  }
  let encryptedKey: Buffer;
  let algorithm: Uint8Array;
  if (transport === 'rsa-pkcs1') {
    encryptedKey = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, contentKey);
    algorithm = algorithmIdentifier(RSA_ENCRYPTION_OID, NULL_DER);
  } else {
    const hash = transport === 'rsa-oaep-sha256' ? 'sha256' : 'sha1';
    encryptedKey = publicEncrypt(
      { key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash },
      contentKey,
    );
    algorithm = algorithmIdentifier(RSAES_OAEP_OID, oaepParams(hash));
  }
  return seq(integer(0), issuerAndSerialNumber(recipient), algorithm, octetString(encryptedKey));
}

/**
 * Encrypts `content` for RSA recipients into an EnvelopedData ContentInfo (CBC ciphers) or an
 * AuthEnvelopedData ContentInfo (GCM). Returns DER.
 */
export function encryptEnvelopedData(options: EncryptEnvelopedDataOptions): Uint8Array {
  const spec = CIPHER_BY_NAME.get(options.contentEncryption ?? 'aes-256-cbc');
  if (!spec || spec.name === 'des-cbc')
    throw cmsMalformed(`unsupported content encryption ${String(options.contentEncryption)}`);
  if (options.recipients.length === 0) throw cmsMalformed('EnvelopedData needs at least one recipient');
  const transport = options.keyTransport ?? 'rsa-oaep';
  const key = randomBytes(spec.keyLength);
  const iv = randomBytes(spec.ivLength);
  const recipientInfos = setOf(
    ...options.recipients.map((r) => keyTransRecipientInfo(readCertificateFields(r), key, transport)),
  );
  const contentType = oid(options.contentType ?? CMS_CONTENT_TYPES.data);
  if (spec.gcm) {
    const cipher = createCipheriv(spec.name as 'aes-256-gcm', key, iv, { authTagLength: GCM_TAG_LENGTH });
    const encrypted = Buffer.concat([cipher.update(options.content), cipher.final()]);
    const params = seq(octetString(iv), integer(GCM_TAG_LENGTH));
    const authEnveloped = seq(
      integer(0),
      recipientInfos,
      seq(contentType, algorithmIdentifier(spec.oid, params), ctx(0, [encrypted], true)),
      octetString(cipher.getAuthTag()),
    );
    return wrapContentInfo(CMS_CONTENT_TYPES.authEnvelopedData, authEnveloped);
  }
  const cipher = createCipheriv(spec.name, key, iv);
  const encrypted = Buffer.concat([cipher.update(options.content), cipher.final()]);
  const enveloped = seq(
    integer(0),
    recipientInfos,
    seq(contentType, algorithmIdentifier(spec.oid, octetString(iv)), ctx(0, [encrypted], true)),
  );
  return wrapContentInfo(CMS_CONTENT_TYPES.envelopedData, enveloped);
}

// ---------------------------------------------------------------------------------------------
// Decryption
// ---------------------------------------------------------------------------------------------

interface RecipientInfo {
  identifier: CmsIdentifier;
  transport: { kind: 'pkcs1' } | { kind: 'oaep'; hash: DigestName };
  encryptedKey: Uint8Array;
}

interface ParsedEnvelope {
  authenticated: boolean;
  recipients: RecipientInfo[];
  contentType: string;
  cipher: CipherSpec;
  iv: Uint8Array;
  tagLength: number;
  encryptedContent: Uint8Array;
  mac: Uint8Array | undefined;
  authAttributes: Uint8Array | undefined;
}

export interface EnvelopedDataInfo {
  /** Whether it is an AuthEnvelopedData (GCM). */
  authenticated: boolean;
  contentEncryption: CmsContentEncryption;
  contentType: string;
  recipients: { identifier: CmsIdentifier; keyTransport: CmsKeyTransport | 'rsa-oaep-other' }[];
}

function readOaepHash(params: Asn1Node | undefined): DigestName {
  let hash: DigestName = 'sha1';
  let mgfHash: DigestName = 'sha1';
  for (const field of params?.seq('RSAES-OAEP-params') ?? []) {
    const [inner] = field.children();
    if (!inner) continue;
    if (field.tag === 0xa0) {
      const [o] = inner.seq('hashFunc');
      const name = o && digestNameForOid(readOid(o));
      if (!name) throw new Error('unsupported OAEP hash');
      hash = name;
    } else if (field.tag === 0xa1) {
      const [o, mgfParams] = inner.seq('maskGenFunc');
      if (!o || readOid(o) !== MGF1_OID || !mgfParams) throw new Error('unsupported OAEP mask generation');
      const [h] = mgfParams.seq('MGF1 hash');
      const name = h && digestNameForOid(readOid(h));
      if (!name) throw new Error('unsupported MGF1 hash');
      mgfHash = name;
    } else if (field.tag === 0xa2) {
      throw new Error('OAEP labels are not supported');
    }
  }
  // node:crypto ties MGF1's hash to the OAEP hash.
  if (hash !== mgfHash) throw new Error('OAEP with different hash and MGF1 hash is not supported');
  return hash;
}

function parseRecipientInfo(node: Asn1Node): RecipientInfo | undefined {
  if (node.tag !== TAG.sequence) return undefined; // kari, kekri, pwri, ori: not for us
  const [versionNode, rid, alg, encryptedKey] = node.children();
  if (!versionNode || !rid || !alg || !encryptedKey) throw new Error('KeyTransRecipientInfo is truncated');
  readSmallInt(versionNode, 'version');
  const [algOid, params] = alg.seq('keyEncryptionAlgorithm');
  if (!algOid) throw new Error('empty keyEncryptionAlgorithm');
  const algorithm = readOid(algOid);
  let transport: RecipientInfo['transport'];
  if (algorithm === RSA_ENCRYPTION_OID) transport = { kind: 'pkcs1' };
  else if (algorithm === RSAES_OAEP_OID) transport = { kind: 'oaep', hash: readOaepHash(params) };
  else return undefined;
  return { identifier: readCmsIdentifier(rid), transport, encryptedKey: readOctetString(encryptedKey, 'encryptedKey') };
}

function parseEnvelope(input: CmsInput): ParsedEnvelope {
  const info = readContentInfo(input);
  const authenticated = info.contentType === CMS_CONTENT_TYPES.authEnvelopedData;
  if (!authenticated && info.contentType !== CMS_CONTENT_TYPES.envelopedData) {
    throw cmsMalformed(`expected EnvelopedData or AuthEnvelopedData, found content type ${info.contentType}`);
  }
  return guardCms('EnvelopedData', () => {
    const fields = info.content.seq('EnvelopedData');
    let i = 1; // version
    if (fields[i]?.tag === 0xa0) i++; // originatorInfo
    const recipientInfos = fields[i++];
    const encryptedContentInfo = fields[i++];
    if (!recipientInfos || !encryptedContentInfo) throw new Error('EnvelopedData is truncated');
    const recipients = recipientInfos
      .seq('recipientInfos', TAG.set)
      .map(parseRecipientInfo)
      .filter((r): r is RecipientInfo => r !== undefined);
    const [typeNode, algNode, contentNode] = encryptedContentInfo.seq('EncryptedContentInfo');
    if (!typeNode || !algNode) throw new Error('EncryptedContentInfo is truncated');
    if (!contentNode || (contentNode.tag !== 0x80 && contentNode.tag !== 0xa0)) {
      throw new Error('encryptedContent is missing');
    }
    const [algOid, params] = algNode.seq('contentEncryptionAlgorithm');
    if (!algOid || !params) throw new Error('contentEncryptionAlgorithm without parameters');
    const algorithm = readOid(algOid);
    const cipher = CIPHER_BY_OID.get(algorithm);
    if (!cipher) throw new Error(`unsupported content encryption algorithm ${algorithm}`);
    if (cipher.gcm !== authenticated) throw new Error('GCM belongs in AuthEnvelopedData, CBC in EnvelopedData');
    let iv: Uint8Array;
    let tagLength = 12;
    if (cipher.gcm) {
      const [nonce, icvLen] = params.seq('GCMParameters');
      if (!nonce) throw new Error('GCMParameters without nonce');
      iv = readOctetString(nonce, 'aes-nonce');
      if (icvLen) tagLength = readSmallInt(icvLen, 'aes-ICVlen');
      if (iv.length < 8 || iv.length > 64 || tagLength < 12 || tagLength > 16)
        throw new Error('GCM parameters out of range');
    } else {
      iv = readOctetString(params, 'IV');
      if (iv.length !== cipher.ivLength) throw new Error('IV has the wrong length');
    }
    let mac: Uint8Array | undefined;
    let authAttributes: Uint8Array | undefined;
    if (authenticated) {
      if (fields[i]?.tag === 0xa1) {
        // The MAC covers the attributes as a SET OF (RFC 5083 2.1).
        const attrs = fields[i++]!;
        authAttributes = Uint8Array.from(attrs.raw);
        authAttributes[0] = TAG.set;
      }
      const macNode = fields[i++];
      if (!macNode) throw new Error('AuthEnvelopedData has no MAC');
      mac = readOctetString(macNode, 'mac');
      if (mac.length !== tagLength) throw new Error('MAC length does not match aes-ICVlen');
    }
    return {
      authenticated,
      recipients,
      contentType: readOid(typeNode),
      cipher,
      iv,
      tagLength,
      encryptedContent: readImplicitOctets(contentNode),
      mac,
      authAttributes,
    };
  });
}

/** What an EnvelopedData/AuthEnvelopedData says about itself, without decrypting. */
export function inspectEnvelopedData(input: CmsInput): EnvelopedDataInfo {
  const envelope = parseEnvelope(input);
  return {
    authenticated: envelope.authenticated,
    contentEncryption: envelope.cipher.name,
    contentType: envelope.contentType,
    recipients: envelope.recipients.map((r) => ({
      identifier: r.identifier,
      keyTransport:
        r.transport.kind === 'pkcs1'
          ? 'rsa-pkcs1'
          : r.transport.hash === 'sha1'
            ? 'rsa-oaep'
            : r.transport.hash === 'sha256'
              ? 'rsa-oaep-sha256'
              : 'rsa-oaep-other',
    })),
  };
}

export interface DecryptEnvelopedDataOptions {
  recipientCertificate: CertificateInput;
  recipientKey: PrivateKeyInput;
}

const forgeKeys = new WeakMap<KeyObject, forge.pki.rsa.PrivateKey>();

function forgePrivateKey(key: KeyObject): forge.pki.rsa.PrivateKey {
  let forgeKey = forgeKeys.get(key);
  if (!forgeKey) {
    forgeKey = forge.pki.privateKeyFromPem(
      key.export({ format: 'pem', type: 'pkcs1' }).toString(),
    ) as forge.pki.rsa.PrivateKey;
    forgeKeys.set(key, forgeKey);
  }
  return forgeKey;
}

/** Unwraps the content key; on any failure returns a random key of the right length instead (no oracle). */
function unwrapContentKey(recipient: RecipientInfo, key: KeyObject, keyLength: number): Buffer {
  let contentKey: Buffer | undefined;
  try {
    if (recipient.transport.kind === 'pkcs1') {
      const decrypted = forgePrivateKey(key).decrypt(
        Buffer.from(recipient.encryptedKey).toString('binary'),
        'RSAES-PKCS1-V1_5',
      );
      contentKey = Buffer.from(decrypted, 'binary');
    } else {
      contentKey = privateDecrypt(
        { key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: recipient.transport.hash },
        recipient.encryptedKey,
      );
    }
  } catch {
    contentKey = undefined;
  }
  const random = randomBytes(keyLength);
  return contentKey && contentKey.length === keyLength ? contentKey : random;
}

const DECRYPT_FAILED = 'EnvelopedData could not be decrypted with this recipient key';

/**
 * Decrypts an EnvelopedData (or AuthEnvelopedData) ContentInfo for `recipientCertificate`'s RSA
 * key. Any failure after the recipient is found gives one generic MalformedInputError.
 */
export function decryptEnvelopedData(input: CmsInput, options: DecryptEnvelopedDataOptions): Uint8Array {
  const envelope = parseEnvelope(input);
  const cert = readCertificateFields(options.recipientCertificate);
  const key = toPrivateKeyObject(options.recipientKey);
  if (key.asymmetricKeyType !== 'rsa') throw cmsMalformed('only RSA recipient keys are supported');
  const recipient = envelope.recipients.find((r) => identifierMatches(r.identifier, cert));
  if (!recipient) throw cmsMalformed('EnvelopedData has no recipient matching the certificate');
  const contentKey = unwrapContentKey(recipient, key, envelope.cipher.keyLength);
  try {
    const { cipher } = envelope;
    if (cipher.gcm) {
      const decipher = createDecipheriv(cipher.name as 'aes-256-gcm', contentKey, envelope.iv, {
        authTagLength: envelope.tagLength,
      });
      decipher.setAuthTag(envelope.mac!);
      if (envelope.authAttributes) decipher.setAAD(envelope.authAttributes);
      return new Uint8Array(Buffer.concat([decipher.update(envelope.encryptedContent), decipher.final()]));
    }
    if (cipher.name === 'des-cbc') return decryptSingleDes(contentKey, envelope.iv, envelope.encryptedContent);
    const decipher = createDecipheriv(cipher.name, contentKey, envelope.iv);
    return new Uint8Array(Buffer.concat([decipher.update(envelope.encryptedContent), decipher.final()]));
  } catch {
    // No cause attached: a key-unwrap failure and a content failure must look the same.
    throw cmsMalformed(DECRYPT_FAILED);
  }
}

/** OpenSSL 3 (and so node:crypto) keeps single DES in the legacy provider, which Node does not load: forge decrypts it. */
function decryptSingleDes(key: Uint8Array, iv: Uint8Array, encrypted: Uint8Array): Uint8Array {
  const decipher = forge.cipher.createDecipher('DES-CBC', forge.util.createBuffer(Buffer.from(key).toString('binary')));
  decipher.start({ iv: forge.util.createBuffer(Buffer.from(iv).toString('binary')) });
  decipher.update(forge.util.createBuffer(Buffer.from(encrypted).toString('binary')));
  if (!decipher.finish()) throw new Error('bad padding');
  return new Uint8Array(Buffer.from(decipher.output.getBytes(), 'binary'));
}
