/**
 * Signs leaves under the issuing CA. The hot path is @certctl/pki's DER-template issuer: one template
 * per distinct profile (usages, URLs, must-staple), each leaf costing one small encoding and one
 * node:crypto signature. Keys the template path cannot sign with (e.g. RSA-PSS) go through the
 * general builder.
 */
import { UnsupportedOperationError } from '@certctl/core';
import { createLeafTemplateIssuer, derToPem, type LeafTemplateIssuer, signCertificate } from '@certctl/pki';
import type { IssuingCa } from './issuing-ca.js';
import type { LeafProfile } from './leaf-profile.js';

export interface SignedLeaf {
  pem: string;
  /** Lowercase hex, no leading zero bytes. */
  serial: string;
  notBefore: Date;
  notAfter: Date;
}

export interface LeafSigner {
  sign(spki: Uint8Array, profile: LeafProfile): Promise<SignedLeaf>;
}

/** Templates kept per CA; a handful of profiles is typical, the bound only stops unbounded growth. */
const MAX_TEMPLATES = 64;

function templateKey(profile: LeafProfile): string {
  return JSON.stringify([
    profile.keyUsage,
    profile.extKeyUsage,
    profile.crlDistributionPoints,
    profile.ocspUrls,
    profile.caIssuersUrls,
    profile.mustStaple,
  ]);
}

async function signWithBuilder(ca: IssuingCa, spki: Uint8Array, profile: LeafProfile): Promise<SignedLeaf> {
  const signed = await signCertificate({
    subject: profile.subject,
    publicKey: spki,
    issuer: { certificate: ca.certificate.der, privateKey: ca.signingKey },
    notBefore: profile.notBefore,
    notAfter: profile.notAfter,
    sans: profile.sans,
    keyUsage: profile.keyUsage,
    extKeyUsage: profile.extKeyUsage,
    mustStaple: profile.mustStaple,
    crlDistributionPoints: profile.crlDistributionPoints,
    ocspUrls: profile.ocspUrls,
    caIssuersUrls: profile.caIssuersUrls,
  });
  return { pem: signed.pem, serial: signed.serialNumber, notBefore: signed.notBefore, notAfter: signed.notAfter };
}

export function createLeafSigner(ca: IssuingCa): LeafSigner {
  const templates = new Map<string, LeafTemplateIssuer>();
  let templatesUnsupported = false;

  const templateFor = (profile: LeafProfile): LeafTemplateIssuer | undefined => {
    if (templatesUnsupported) return undefined;
    const key = templateKey(profile);
    const cached = templates.get(key);
    if (cached) return cached;
    let template: LeafTemplateIssuer;
    try {
      template = createLeafTemplateIssuer({
        issuerCert: ca.certificate.der,
        issuerKey: ca.privateKey,
        profile: {
          keyUsage: profile.keyUsage,
          extKeyUsage: profile.extKeyUsage,
          // Only a default: every leaf passes its own notBefore/notAfter.
          validitySeconds: 86_400,
          crlUrl: profile.crlDistributionPoints[0],
          ocspUrl: profile.ocspUrls[0],
          caIssuersUrl: profile.caIssuersUrls[0],
          mustStaple: profile.mustStaple,
        },
      });
    } catch (error) {
      if (!UnsupportedOperationError.isInstance(error)) throw error;
      templatesUnsupported = true;
      return undefined;
    }
    if (templates.size >= MAX_TEMPLATES) templates.delete(templates.keys().next().value!);
    templates.set(key, template);
    return template;
  };

  return {
    async sign(spki, profile) {
      const templateFits =
        profile.subject.every(([type]) => type === 'CN') &&
        profile.subject.length <= 1 &&
        profile.crlDistributionPoints.length <= 1 &&
        profile.ocspUrls.length <= 1 &&
        profile.caIssuersUrls.length <= 1;
      const template = templateFits ? templateFor(profile) : undefined;
      if (!template) return signWithBuilder(ca, spki, profile);
      const commonName = profile.subject.find(([type]) => type === 'CN')?.[1];
      const issued = template.issue({
        subjectPublicKeySpki: spki,
        commonName,
        sans: profile.sans,
        notBefore: profile.notBefore,
        notAfter: profile.notAfter,
      });
      return {
        pem: derToPem(issued.der, 'CERTIFICATE'),
        serial: issued.serialNumber,
        notBefore: issued.notBefore,
        notAfter: issued.notAfter,
      };
    },
  };
}
