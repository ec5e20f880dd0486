import { randomBytes } from 'node:crypto';
import {
  type CmsContentEncryption,
  createCsr,
  decryptEnvelopedData,
  encryptEnvelopedData,
  findCmsAttribute,
  generateKeyPair,
  octetStringValue,
  parseCertsOnlySignedData,
  printableStringValue,
  readOctetStringValue,
  readStringValue,
  signCertificate,
  signSignedData,
  toKeyObject,
  verifySignedData,
} from '@certctl/pki';
import { MESSAGE_TYPES, SCEP_OIDS } from '../scep-attributes.js';

export interface TestDevice {
  keys: CryptoKeyPair;
  keyPem: string;
  /** Self-signed certificate the device signs PKCSReq with. */
  selfSignedPem: string;
}

export async function makeDevice(commonName: string): Promise<TestDevice> {
  const keys = await generateKeyPair({ algorithm: 'rsa-2048' });
  const self = await signCertificate({
    subject: { CN: commonName },
    publicKey: keys.publicKey,
    signingKey: keys.privateKey,
    validitySeconds: 3600,
  });
  return {
    keys,
    keyPem: toKeyObject(keys.privateKey).export({ type: 'pkcs8', format: 'pem' }).toString(),
    selfSignedPem: self.pem,
  };
}

export interface BuildRequestOptions {
  device: TestDevice;
  raCertPem: string;
  commonName: string;
  challenge?: string;
  messageType?: number;
  /** Certificate and key that sign the request (default: the device's self-signed one). */
  signer?: { certPem: string; key: CryptoKey };
  contentEncryption?: CmsContentEncryption;
  /** Replace the CSR inside the envelope. */
  payload?: Uint8Array;
  /** Raw DER attribute values, as a hostile or unusual client sends them (default: well-formed ones). */
  attributeValues?: { transactionId?: Uint8Array; messageType?: Uint8Array; senderNonce?: Uint8Array };
}

/** A PKIMessage as a SCEP client builds it: CSR enveloped to the RA, signed with the signer's key. */
export async function buildPkiMessage(options: BuildRequestOptions) {
  const csr = await createCsr({
    keys: options.device.keys,
    subject: { CN: options.commonName },
    challengePassword: options.challenge,
  });
  const envelope = encryptEnvelopedData({
    content: options.payload ?? csr.der,
    recipients: [options.raCertPem],
    contentEncryption: options.contentEncryption ?? 'aes-256-cbc',
    keyTransport: 'rsa-pkcs1',
  });
  const transactionId = randomBytes(20).toString('hex');
  const senderNonce = randomBytes(16);
  const message = await signSignedData({
    content: envelope,
    signerCertificate: options.signer?.certPem ?? options.device.selfSignedPem,
    signingKey: options.signer?.key ?? options.device.keys.privateKey,
    signedAttributes: [
      {
        oid: SCEP_OIDS.transactionId,
        values: [options.attributeValues?.transactionId ?? printableStringValue(transactionId)],
      },
      {
        oid: SCEP_OIDS.messageType,
        values: [
          options.attributeValues?.messageType ??
            printableStringValue(String(options.messageType ?? MESSAGE_TYPES.pkcsReq)),
        ],
      },
      { oid: SCEP_OIDS.senderNonce, values: [options.attributeValues?.senderNonce ?? octetStringValue(senderNonce)] },
    ],
  });
  return { message, transactionId, senderNonce, csrPem: csr.pem };
}

export interface CertRep {
  pkiStatus: string;
  failInfo?: string;
  transactionId: string;
  recipientNonce: Uint8Array;
  /** Issued certificates (DER) when SUCCESS. */
  certificates: Uint8Array[];
}

/** Checks the RA's signature on a CertRep and opens it with the device key. */
export async function readCertRep(
  body: Uint8Array,
  raCertPem: string,
  device: TestDevice,
  recipientCertPem?: string,
): Promise<CertRep> {
  const verified = await verifySignedData(body, {
    extraCertificates: [raCertPem],
    detachedContent: new Uint8Array(0),
  }).catch(() => verifySignedData(body));
  const attr = (oid: string) => findCmsAttribute(verified.signedAttributes, oid);
  const pkiStatus = readStringValue(attr(SCEP_OIDS.pkiStatus)!);
  const failInfoValue = attr(SCEP_OIDS.failInfo);
  const nonce = attr(SCEP_OIDS.recipientNonce)!;
  let certificates: Uint8Array[] = [];
  if (pkiStatus === '0') {
    const inner = decryptEnvelopedData(verified.content, {
      recipientCertificate: recipientCertPem ?? device.selfSignedPem,
      recipientKey: device.keys.privateKey,
    });
    certificates = parseCertsOnlySignedData(inner);
  }
  return {
    pkiStatus,
    failInfo: failInfoValue ? readStringValue(failInfoValue) : undefined,
    transactionId: readStringValue(attr(SCEP_OIDS.transactionId)!),
    recipientNonce: readOctetStringValue(nonce),
    certificates,
  };
}
