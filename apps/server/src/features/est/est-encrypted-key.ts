import {
  CMS_CONTENT_TYPES,
  encryptEnvelopedData,
  type ParsedCertificate,
  signSignedData,
  splitPemBundle,
} from '@certctl/pki';
import { badRequest, EstError } from './est-error.js';

/** id-aa-asymmDecryptKeyID (RFC 7030 4.4.1.2): the CSR attribute by which a client asks for its key encrypted. */
export const ASYMMETRIC_DECRYPT_KEY_ID = '1.2.840.113549.1.9.16.2.54';

/** The content of a ContentInfo ([0] EXPLICIT), i.e. the bare EnvelopedData an eContent must hold. */
function contentInfoContent(der: Uint8Array): Uint8Array {
  let offset = 0;
  const header = (): number => {
    offset += 1;
    const first = der[offset++]!;
    if (first < 0x80) return first;
    let length = 0;
    for (let i = 0; i < (first & 0x7f); i++) length = (length << 8) | der[offset++]!;
    return length;
  };
  header(); // ContentInfo SEQUENCE
  const oidLength = header(); // contentType OID (read before adding: `offset += header()` would lose header's own advance)
  offset += oidLength;
  const length = header(); // [0]
  return der.subarray(offset, offset + length);
}

/**
 * serverkeygen with asymmetric key encryption (RFC 7030 4.4.2): the PKCS#8 key in an EnvelopedData
 * (AES-256-CBC, RSA-OAEP) to the client's TLS certificate, wrapped in a SignedData signed with the
 * server's TLS key, sent as `application/pkcs7-mime; smime-type=server-generated-key`.
 */
/** Refuses (before anything is issued) a request whose key could not be delivered encrypted. */
export function keyRecipient(client: ParsedCertificate | undefined): ParsedCertificate {
  if (!client)
    throw new EstError(
      403,
      'an encrypted server-generated key (AsymmetricDecryptKeyIdentifier) is sent only to the TLS client certificate; present one',
    );
  if (client.publicKey.type !== 'rsa')
    throw badRequest(
      `the client certificate key is ${client.publicKey.type}; encrypting the generated key needs an RSA client certificate`,
    );
  return client;
}

export async function encryptKeyForClient(
  pkcs8: Uint8Array,
  client: ParsedCertificate,
  server: { cert: string; key: string },
): Promise<Uint8Array> {
  const enveloped = encryptEnvelopedData({
    content: pkcs8,
    recipients: [client.der],
    contentEncryption: 'aes-256-cbc',
    keyTransport: 'rsa-oaep',
  });
  const [signer, ...chain] = splitPemBundle(server.cert)
    .filter((b) => b.label === 'CERTIFICATE')
    .map((b) => b.der);
  if (!signer) throw new EstError(500, 'the server TLS certificate is unavailable for signing');
  return signSignedData({
    content: contentInfoContent(enveloped),
    contentType: CMS_CONTENT_TYPES.envelopedData,
    signerCertificate: signer,
    signingKey: server.key,
    certificates: chain,
  });
}
