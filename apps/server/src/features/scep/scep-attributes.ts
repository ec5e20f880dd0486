/** SCEP signed-attribute OIDs and codes (RFC 8894 section 3.2.1). */
export const SCEP_OIDS = {
  messageType: '2.16.840.1.113733.1.9.2',
  pkiStatus: '2.16.840.1.113733.1.9.3',
  failInfo: '2.16.840.1.113733.1.9.4',
  senderNonce: '2.16.840.1.113733.1.9.5',
  recipientNonce: '2.16.840.1.113733.1.9.6',
  transactionId: '2.16.840.1.113733.1.9.7',
} as const;

export const MESSAGE_TYPES = {
  certRep: 3,
  renewalReq: 17,
  pkcsReq: 19,
  certPoll: 20,
  getCert: 21,
  getCrl: 22,
} as const;

export const PKI_STATUS = { success: 0, failure: 2, pending: 3 } as const;

export const FAIL_INFO = { badAlg: 0, badMessageCheck: 1, badRequest: 2, badTime: 3, badCertId: 4 } as const;
export type FailInfoName = keyof typeof FAIL_INFO;

/**
 * SHA-384 is true (we verify and sign it) and also needed by strongSwan 5.9.8 (Debian 12): its
 * `pki --scep` tests capability bits by index, so SHA-256 and AES only pass when SHA-384 is
 * advertised (strongswan/strongswan#1607).
 */
export const SCEP_CAPABILITIES = [
  'POSTPKIOperation',
  'SHA-256',
  'SHA-384',
  'SHA-512',
  'AES',
  'SCEPStandard',
  'Renewal',
] as const;
