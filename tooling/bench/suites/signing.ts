/**
 * In-process signing rates with one P-256 CA key: raw `crypto.sign` over a ~300-byte TBS (the
 * reference), @certctl/pki's DER-template leaf issuer, and the general `signCertificate` builder.
 */
import { randomBytes, sign } from 'node:crypto';
import {
  createCsr,
  createLeafTemplateIssuer,
  exportSpki,
  generateKeyPair,
  parseCertificate,
  parseCsr,
  signCertificate,
  toKeyObject,
  verifyCsrSignature,
} from '../../../packages/pki/src/index.ts';
import { arg, emit, rateAsync, rateSync } from '../lib/measure.ts';

const seconds = Number(arg('seconds', '2'));

const caKeys = await generateKeyPair({ algorithm: 'ecdsa-p256' });
const caNodeKey = toKeyObject(caKeys.privateKey);

// Self-signed CA certificate from the general builder.
const caCert = await signCertificate({
  subject: { CN: 'Bench CA' },
  publicKey: caKeys.publicKey,
  signingKey: caKeys.privateKey,
  ca: true,
  keyUsage: ['keyCertSign', 'cRLSign'],
  validitySeconds: 86_400 * 365,
} as never);

const leafKeys = await generateKeyPair({ algorithm: 'ecdsa-p256' });
const leafSpki = exportSpki(leafKeys.publicKey);
const sans = [
  { type: 'dns' as const, value: 'app.example.com' },
  { type: 'dns' as const, value: 'www.app.example.com' },
];

// 1. The reference: the same key signing a TBS of about the size the leaves have.
const tbs = randomBytes(300);
const raw = rateSync(() => sign('sha256', tbs, caNodeKey), seconds);

// 2. The template path.
const template = createLeafTemplateIssuer({
  issuerCert: caCert.der,
  issuerKey: caKeys.privateKey,
  profile: {
    keyUsage: ['digitalSignature'],
    extKeyUsage: ['serverAuth'],
    validitySeconds: 86_400 * 90,
    crlUrl: 'http://127.0.0.1:8080/.well-known/pki/crl/iss-local',
    caIssuersUrl: 'http://127.0.0.1:8080/.well-known/pki/ca/iss-local',
  },
});
let leafBytes = 0;
const templated = rateSync(() => {
  leafBytes = template.issue({ subjectPublicKeySpki: leafSpki, commonName: 'app.example.com', sans }).der.length;
}, seconds);

// 3. The general builder (@peculiar/x509 underneath, WebCrypto signing).
const builder = await rateAsync(
  () =>
    signCertificate({
      subject: { CN: 'app.example.com' },
      publicKey: leafSpki,
      issuer: { certificate: caCert.der, privateKey: caKeys.privateKey },
      sans,
      keyUsage: ['digitalSignature'],
      extKeyUsage: ['serverAuth'],
      crlDistributionPoints: ['http://127.0.0.1:8080/.well-known/pki/crl/iss-local'],
      caIssuersUrls: ['http://127.0.0.1:8080/.well-known/pki/ca/iss-local'],
      validitySeconds: 86_400 * 90,
    } as never),
  seconds,
);

// What the API path pays per certificate besides signing (it runs these 2-4 times each).
const csrPem = (await createCsr({ keys: leafKeys, subject: { CN: 'app.example.com' }, sans })).pem;
const parseCsrRate = rateSync(() => parseCsr(csrPem), seconds / 2);
const verifyCsrRate = await rateAsync(() => verifyCsrSignature(csrPem), seconds / 2);
const leafDer = template.issue({ subjectPublicKeySpki: leafSpki, commonName: 'app.example.com', sans }).der;
const parseCertificateRate = rateSync(() => parseCertificate(leafDer), seconds / 2);

emit({
  parseCsrPerSecond: parseCsrRate.perSecond,
  verifyCsrSignaturePerSecond: verifyCsrRate.perSecond,
  parseCertificatePerSecond: parseCertificateRate.perSecond,
  rawSignPerSecond: raw.perSecond,
  templatePerSecond: templated.perSecond,
  builderPerSecond: builder.perSecond,
  tbsBytes: tbs.length,
  leafBytes,
  seconds,
});
