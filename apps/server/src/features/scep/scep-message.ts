import { MalformedInputError } from '@certctl/core';
import {
  type CmsContentEncryption,
  decryptEnvelopedData,
  findCmsAttribute,
  inspectEnvelopedData,
  parseSignedData,
  readOctetStringValue,
  readStringValue,
  verifySignedData,
} from '@certctl/pki';
import { MESSAGE_TYPES, SCEP_OIDS } from './scep-attributes.js';
import { ScepFailure } from './scep-failure.js';
import type { ScepRa } from './scep-ra.js';

/** What the outer SignedData says, readable before anything is verified: enough to address a CertRep. */
export interface ScepEnvelopeHeader {
  transactionId: string;
  senderNonce: Uint8Array;
  messageType: number;
  digestAlgorithm: string;
}

export interface ScepRequest extends ScepEnvelopeHeader {
  /** DER of the certificate that signed the request (self-signed for PKCSReq, the old one for RenewalReq). */
  signerCertificate: Uint8Array;
  /** Decrypted pkcsPKIEnvelope: a PKCS#10 (PKCSReq, RenewalReq) or IssuerAndSubject (CertPoll). */
  payload: Uint8Array;
  /** How the client encrypted, so the answer uses what it understands. */
  contentEncryption: CmsContentEncryption;
}

/** Reads the routing attributes of a PKIMessage; throws MalformedInputError when it is no PKIMessage at all. */
export function readScepHeader(body: Uint8Array): ScepEnvelopeHeader {
  const parsed = parseSignedData(body);
  const signer = parsed.signers[0];
  if (!signer) throw new MalformedInputError({ inputKind: 'pkcs7', message: 'PKIMessage has no signer' });
  const attrs = signer.signedAttributes;
  const text = (oid: string, name: string) => {
    const value = findCmsAttribute(attrs, oid);
    if (!value)
      throw new MalformedInputError({ inputKind: 'pkcs7', message: `PKIMessage lacks the ${name} attribute` });
    return readStringValue(value);
  };
  const transactionId = text(SCEP_OIDS.transactionId, 'transactionID');
  const messageType = Number(text(SCEP_OIDS.messageType, 'messageType'));
  const nonce = findCmsAttribute(attrs, SCEP_OIDS.senderNonce);
  if (!nonce)
    throw new MalformedInputError({ inputKind: 'pkcs7', message: 'PKIMessage lacks the senderNonce attribute' });
  const senderNonce = readOctetStringValue(nonce);
  if (
    !/^[\x20-\x7e]{1,128}$/.test(transactionId) ||
    !Number.isInteger(messageType) ||
    senderNonce.length < 8 ||
    senderNonce.length > 64
  ) {
    throw new MalformedInputError({ inputKind: 'pkcs7', message: 'PKIMessage attributes are out of range' });
  }
  return { transactionId, senderNonce, messageType, digestAlgorithm: signer.digestAlgorithm };
}

/**
 * Verifies the signature of a PKIMessage and decrypts its envelope with the RA key. Throws
 * ScepFailure (badMessageCheck) for a bad signature or an envelope the RA cannot open, and
 * MalformedInputError for bytes that are no PKIMessage.
 */
export async function openScepRequest(body: Uint8Array, ra: ScepRa): Promise<ScepRequest> {
  const header = readScepHeader(body);
  if (
    header.messageType !== MESSAGE_TYPES.pkcsReq &&
    header.messageType !== MESSAGE_TYPES.renewalReq &&
    header.messageType !== MESSAGE_TYPES.certPoll
  ) {
    throw new ScepFailure('badRequest', `messageType ${header.messageType} is not supported`);
  }
  let verified: Awaited<ReturnType<typeof verifySignedData>>;
  try {
    verified = await verifySignedData(body);
  } catch (error) {
    throw new ScepFailure('badMessageCheck', `signature check failed: ${(error as Error).message}`);
  }
  let contentEncryption: CmsContentEncryption;
  let payload: Uint8Array;
  try {
    contentEncryption = inspectEnvelopedData(verified.content).contentEncryption;
    payload = decryptEnvelopedData(verified.content, { recipientCertificate: ra.certificateDer, recipientKey: ra.key });
  } catch {
    // One answer for every envelope problem: no oracle on the RA key.
    throw new ScepFailure('badMessageCheck', 'the envelope cannot be opened with the RA key');
  }
  return { ...header, signerCertificate: verified.signerCertificate, payload, contentEncryption };
}
