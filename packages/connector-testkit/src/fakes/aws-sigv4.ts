import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { FakeRequest } from '../fake-vendor.js';

/** What a fake AWS service knows about its caller: one access key pair, the region and service it signs for. */
export interface SigV4Expectation {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  service: string;
  /** The fake's clock, for the 15-minute signing window; default Date.now. */
  now?: () => number;
}

/** Why a request's signature was refused, as AWS names it (`__type`) and says it. */
export interface SigV4Refusal {
  status: number;
  type: string;
  message: string;
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

const sha256Hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

const encodeRfc3986 = (value: string) =>
  encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * Verifies an AWS Signature Version 4 `Authorization` header the way AWS does: the header's shape,
 * the credential scope (key, date, region, service), every signed header present, and the signature
 * recomputed from the canonical request with the secret key.
 */
export function verifySigV4(request: FakeRequest, expected: SigV4Expectation): SigV4Refusal | undefined {
  const header = request.headers.authorization;
  if (!header) {
    return { status: 400, type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' };
  }
  const match = AUTHORIZATION.exec(header);
  if (!match) {
    return {
      status: 400,
      type: 'IncompleteSignatureException',
      message: `Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters. Authorization=${header.split(' ')[0]}`,
    };
  }
  const [, keyId, date, region, service, signedHeaderList, signature] = match as unknown as string[];
  if (keyId !== expected.accessKeyId) {
    return {
      status: 403,
      type: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    };
  }
  const amzDate = request.headers['x-amz-date'] ?? '';
  if (!/^\d{8}T\d{6}Z$/.test(amzDate) || amzDate.slice(0, 8) !== date) {
    return {
      status: 400,
      type: 'IncompleteSignatureException',
      message: 'Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP.',
    };
  }
  const signedAt = Date.parse(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
  if (Math.abs((expected.now?.() ?? Date.now()) - signedAt) > 15 * 60_000) {
    return {
      status: 403,
      type: 'InvalidSignatureException',
      message: `Signature expired: ${amzDate} is not within 15 minutes of the server time.`,
    };
  }
  if (region !== expected.region || service !== expected.service) {
    return {
      status: 403,
      type: 'InvalidSignatureException',
      message: `Credential should be scoped to a valid region and service ('${expected.region}', '${expected.service}'), not ('${region}', '${service}').`,
    };
  }
  const signedHeaders = signedHeaderList!.split(';');
  if (!signedHeaders.includes('host') || !signedHeaders.includes('x-amz-date')) {
    return {
      status: 403,
      type: 'InvalidSignatureException',
      message: "'Host' and 'X-Amz-Date' must be signed headers.",
    };
  }
  for (const name of signedHeaders) {
    if (request.headers[name] === undefined) {
      return { status: 403, type: 'InvalidSignatureException', message: `Signed header '${name}' is missing.` };
    }
  }
  const query = [...request.url.searchParams.entries()]
    .map(([k, v]) => [encodeRfc3986(k), encodeRfc3986(v)] as const)
    .sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : 1) : a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonicalHeaders = signedHeaders
    .map((name) => `${name}:${request.headers[name]!.trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const canonicalRequest = [
    request.method,
    request.path || '/',
    query,
    canonicalHeaders,
    signedHeaderList,
    sha256Hex(request.body),
  ].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const signingKey = hmac(
    hmac(hmac(hmac(`AWS4${expected.secretAccessKey}`, date!), region!), service!),
    'aws4_request',
  );
  const computed = createHmac('sha256', signingKey).update(stringToSign).digest();
  if (!timingSafeEqual(computed, Buffer.from(signature!, 'hex'))) {
    return {
      status: 403,
      type: 'InvalidSignatureException',
      message:
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    };
  }
  return undefined;
}
