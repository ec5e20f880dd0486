import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { FakeRequest } from '../fake-vendor.js';

/** Why a request's AWS Signature Version 4 is refused, as AWS says it, or undefined when it verifies. */
export interface SigV4Refusal {
  status: number;
  type: string;
  message: string;
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

/**
 * Verifies a request's SigV4 Authorization header the way AWS does: header shape, credential scope
 * (region and service), the signed headers (host and x-amz-date at least), a signing time within
 * 15 minutes of the fake's clock, and the signature over the
 * canonical request with the secret key of the access key id.
 */
export function verifySigV4(
  request: FakeRequest,
  options: { region: string; service: string; secrets: ReadonlyMap<string, string>; now?: () => number },
): SigV4Refusal | undefined {
  const header = request.headers.authorization;
  if (!header) {
    return { status: 400, type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' };
  }
  const match = AUTHORIZATION.exec(header);
  if (!match) {
    return {
      status: 400,
      type: 'IncompleteSignatureException',
      message: `Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters. Authorization=${header.split(' ')[0]}`,
    };
  }
  const [, accessKeyId, date, region, service, signedHeaderList, signature] = match as unknown as string[];
  const secret = options.secrets.get(accessKeyId!);
  if (secret === undefined) {
    return {
      status: 400,
      type: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    };
  }
  if (region !== options.region || service !== options.service) {
    return {
      status: 403,
      type: 'InvalidSignatureException',
      message: `Credential should be scoped to a valid region and service: expected '${options.region}/${options.service}', got '${region}/${service}'.`,
    };
  }
  const amzDate = request.headers['x-amz-date'] ?? '';
  const signedHeaders = signedHeaderList!.split(';');
  if (!amzDate.startsWith(date!) || !signedHeaders.includes('host') || !signedHeaders.includes('x-amz-date')) {
    return {
      status: 403,
      type: 'InvalidSignatureException',
      message: 'The request must sign the host and x-amz-date headers, and X-Amz-Date must match the credential date.',
    };
  }
  const signedAt = Date.parse(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
  if (!Number.isFinite(signedAt) || Math.abs((options.now?.() ?? Date.now()) - signedAt) > 15 * 60_000) {
    return {
      status: 403,
      type: 'InvalidSignatureException',
      message: `Signature expired: ${amzDate} is not within 15 minutes of the server time.`,
    };
  }
  const canonicalHeaders = signedHeaders
    .map((name) => `${name}:${(request.headers[name] ?? '').trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const query = [...request.url.searchParams.entries()]
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .sort()
    .join('&');
  const canonicalRequest = [
    request.method,
    request.path,
    query,
    canonicalHeaders,
    signedHeaderList,
    request.headers['x-amz-content-sha256'] ?? sha256(request.body),
  ].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date!), region!), service!), 'aws4_request');
  const expected = createHmac('sha256', key).update(stringToSign).digest();
  if (!timingSafeEqual(expected, Buffer.from(signature!, 'hex'))) {
    return {
      status: 403,
      type: 'InvalidSignatureException',
      message:
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
    };
  }
  return undefined;
}
