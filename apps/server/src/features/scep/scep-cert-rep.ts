import { randomBytes } from 'node:crypto';
import {
  buildCertsOnlySignedData,
  type CmsAttribute,
  type CmsContentEncryption,
  encryptEnvelopedData,
  octetStringValue,
  printableStringValue,
  signSignedData,
  utf8StringValue,
} from '@certctl/pki';
import { FAIL_INFO, type FailInfoName, MESSAGE_TYPES, PKI_STATUS, SCEP_OIDS } from './scep-attributes.js';
import type { ScepEnvelopeHeader } from './scep-message.js';
import type { ScepRa } from './scep-ra.js';

const text = (oid: string, value: string): CmsAttribute => ({ oid, values: [printableStringValue(value)] });

/** The characters DER allows in a PrintableString. */
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

/**
 * The transactionID echoed back. RFC 8894 says PrintableString, but clients send UTF8String and
 * IA5String too, with characters such as `_` or `*`: those come back as a UTF8String, so that the
 * reply can always be built (a throw here turned a refusal into a 5xx).
 */
const transactionIdAttribute = (value: string): CmsAttribute => ({
  oid: SCEP_OIDS.transactionId,
  values: [PRINTABLE.test(value) ? printableStringValue(value) : utf8StringValue(value)],
});

function replyAttributes(request: ScepEnvelopeHeader, status: number): CmsAttribute[] {
  return [
    transactionIdAttribute(request.transactionId),
    text(SCEP_OIDS.messageType, String(MESSAGE_TYPES.certRep)),
    text(SCEP_OIDS.pkiStatus, String(status)),
    { oid: SCEP_OIDS.senderNonce, values: [octetStringValue(randomBytes(16))] },
    { oid: SCEP_OIDS.recipientNonce, values: [octetStringValue(request.senderNonce)] },
  ];
}

/** The client's digest if we sign with it, else SHA-256 (we never sign with SHA-1). */
function replyHash(request: ScepEnvelopeHeader): 'sha256' | 'sha384' | 'sha512' {
  return request.digestAlgorithm === 'sha512' || request.digestAlgorithm === 'sha384'
    ? request.digestAlgorithm
    : 'sha256';
}

export interface SuccessReplyOptions {
  ra: ScepRa;
  request: ScepEnvelopeHeader & { signerCertificate: Uint8Array; contentEncryption: CmsContentEncryption };
  issuedCertificatePem: string;
  chainPem: readonly string[];
}

/**
 * CertRep SUCCESS: a certs-only SignedData holding the issued certificate (and its chain), encrypted
 * to the requester's signing certificate with the cipher it used, signed by the RA.
 */
export async function buildSuccessCertRep(options: SuccessReplyOptions): Promise<Uint8Array> {
  const { ra, request } = options;
  const degenerate = buildCertsOnlySignedData([options.issuedCertificatePem, ...options.chainPem]);
  // Answer with the client's cipher; single DES clients get 3DES (we never write single DES), GCM ones AES-CBC.
  const asked = request.contentEncryption;
  const contentEncryption = asked === 'des-cbc' ? 'des-ede3-cbc' : asked.endsWith('-gcm') ? 'aes-256-cbc' : asked;
  const enveloped = encryptEnvelopedData({
    content: degenerate,
    recipients: [request.signerCertificate],
    contentEncryption,
    keyTransport: 'rsa-pkcs1',
  });
  return signSignedData({
    content: enveloped,
    signerCertificate: ra.certificateDer,
    signingKey: ra.key,
    hash: replyHash(request),
    signedAttributes: replyAttributes(request, PKI_STATUS.success),
    signingTime: false,
  });
}

/** CertRep FAILURE with a failInfo code and no envelope (RFC 8894 section 3.3.2). */
export async function buildFailureCertRep(
  ra: ScepRa,
  request: ScepEnvelopeHeader,
  failInfo: FailInfoName,
): Promise<Uint8Array> {
  return signSignedData({
    content: new Uint8Array(0),
    detached: true,
    signerCertificate: ra.certificateDer,
    signingKey: ra.key,
    hash: replyHash(request),
    signedAttributes: [
      ...replyAttributes(request, PKI_STATUS.failure),
      text(SCEP_OIDS.failInfo, String(FAIL_INFO[failInfo])),
    ],
    signingTime: false,
  });
}
