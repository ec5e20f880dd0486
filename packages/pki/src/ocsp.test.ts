import { generateKeyPairSync } from 'node:crypto';
import { MalformedInputError } from '@certctl/core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUZZ_PARAMETERS, fuzzParser } from './asn1-test-fuzz.js';
import { makeTestCa, makeTestLeaf, type TestIdentity } from './asn1-test-pki.js';
import {
  buildOcspCertId,
  buildOcspErrorResponse,
  buildOcspRequest,
  buildOcspResponderCertificate,
  buildOcspResponse,
  createOcspIssuerMatcher,
  createOcspResponseSigner,
  decodeOcspGetPath,
  encodeOcspGetPath,
  ocspCertIdMatchesIssuer,
  parseOcspGetRequest,
  parseOcspRequest,
  parseOcspResponse,
  verifyOcspResponse,
} from './ocsp.js';
import { derToPem } from './pem.js';
import { runOpenssl } from './test-support/openssl.js';

// Fresh times: openssl checks thisUpdate/nextUpdate against its clock.
const thisUpdate = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
const nextUpdate = new Date(thisUpdate.getTime() + 86_400_000);
const opensslDate = (d: Date) =>
  d
    .toUTCString()
    .replace(
      /^\w+, (\d+) (\w+) (\d+) ([\d:]+) GMT$/,
      (_m, day, mon, year, time) => `${mon} ${String(Number(day)).padStart(2, ' ')} ${time} ${year} GMT`,
    );

describe('OCSP', () => {
  let ca: TestIdentity;
  let otherCa: TestIdentity;
  let leaf: TestIdentity;
  let leaf2: TestIdentity;
  let serial: string;
  let serial2: string;

  beforeAll(async () => {
    [ca, otherCa] = await Promise.all([makeTestCa('rsa', 'OCSP RSA CA'), makeTestCa('ec', 'Other CA')]);
    [leaf, leaf2] = await Promise.all([makeTestLeaf(ca, 'ec', 'leaf one'), makeTestLeaf(ca, 'ec', 'leaf two')]);
    const serialOf = async (cert: TestIdentity) =>
      (await runOpenssl(['x509', '-in', 'c.pem', '-noout', '-serial'], { files: { 'c.pem': cert.certPem } })).stdout
        .trim()
        .replace('serial=', '')
        .toLowerCase()
        .replace(/^(00)+/, '');
    [serial, serial2] = await Promise.all([serialOf(leaf), serialOf(leaf2)]);
  });

  async function opensslRequest(args: string[]): Promise<Uint8Array> {
    const result = await runOpenssl(['ocsp', '-issuer', 'ca.pem', ...args, '-reqout', 'req.der'], {
      files: { 'ca.pem': ca.certPem, 'leaf.pem': leaf.certPem, 'leaf2.pem': leaf2.certPem },
      outputs: ['req.der'],
    });
    return new Uint8Array(result.outputs['req.der']!);
  }

  /** Runs openssl ocsp on a response: verification (and nonce check when reqin is given) plus the summary. */
  async function opensslCheck(
    response: Uint8Array,
    options: { reqin?: Uint8Array; certs?: string[]; responderPem?: string } = {},
  ) {
    const files: Record<string, string | Uint8Array> = {
      'resp.der': response,
      'ca.pem': ca.certPem,
      'leaf.pem': leaf.certPem,
      'leaf2.pem': leaf2.certPem,
    };
    const summaryArgs = ['ocsp', '-respin', 'resp.der', '-CAfile', 'ca.pem', '-issuer', 'ca.pem', '-no_nonce'];
    for (const c of options.certs ?? ['leaf.pem'])
      summaryArgs.push(...(c.startsWith('0x') ? ['-serial', c] : ['-cert', c]));
    const summary = await runOpenssl(summaryArgs, { files, check: false });
    let nonceCheck: { stdout: string; stderr: string; exitCode: number } | undefined;
    if (options.reqin) {
      files['req.der'] = options.reqin;
      nonceCheck = await runOpenssl(
        ['ocsp', '-reqin', 'req.der', '-respin', 'resp.der', '-CAfile', 'ca.pem', '-resp_text'],
        {
          files,
          check: false,
        },
      );
    }
    return { summary, nonceCheck };
  }

  it('parses an openssl request with two SHA-1 CertIDs and a nonce, and matches the issuer', async () => {
    const der = await opensslRequest(['-cert', 'leaf.pem', '-cert', 'leaf2.pem']);
    const request = parseOcspRequest(der);
    expect(request.certIds.map((id) => [id.hashAlgorithm, id.serial])).toEqual([
      ['sha1', serial],
      ['sha1', serial2],
    ]);
    expect(request.nonce).toBeDefined();
    expect(request.nonce?.[0]).toBe(0x04); // RFC 8954 OCTET STRING inside extnValue
    expect(request.signed).toBe(false);
    const matcher = createOcspIssuerMatcher(ca.certPem);
    expect(request.certIds.every((id) => matcher.matches(id))).toBe(true);
    expect(ocspCertIdMatchesIssuer(request.certIds[0]!, ca.certDer)).toBe(true);
    expect(ocspCertIdMatchesIssuer(request.certIds[0]!, otherCa.certDer)).toBe(false);
    expect(createOcspIssuerMatcher(otherCa.certPem).matches(request.certIds[0]!)).toBe(false);
  });

  it('parses SHA-256 CertIDs, serial-only requests and requests without a nonce', async () => {
    const der = await opensslRequest(['-sha256', '-serial', '0x00ABCDEF', '-no_nonce']);
    const request = parseOcspRequest(der);
    expect(request.certIds).toHaveLength(1);
    expect(request.certIds[0]).toMatchObject({ hashAlgorithm: 'sha256', serial: 'abcdef' });
    expect(request.certIds[0]!.issuerNameHash).toHaveLength(32);
    expect(request.nonce).toBeUndefined();
    expect(createOcspIssuerMatcher(ca.certDer).matches(request.certIds[0]!)).toBe(true);
    expect(buildOcspCertId({ issuerCertificate: ca.certPem, serial: 'abcdef', hashAlgorithm: 'sha256' }).der).toEqual(
      request.certIds[0]!.der,
    );
    // The matcher builds the same CertID openssl sent, from hashes it computed once.
    const matcher = createOcspIssuerMatcher(ca.certDer);
    expect(matcher.certId('abcdef', 'sha256').der).toEqual(request.certIds[0]!.der);
    expect(matcher.certId('00abcdef', 'sha1')).toEqual(
      buildOcspCertId({ issuerCertificate: ca.certDer, serial: 'abcdef' }),
    );
    expect(() => matcher.certId('01', 'md5' as never)).toThrow(/unsupported CertID hash algorithm/);
  });

  it('decodes the GET form of a request (URL-encoded base64, with or without encoded slashes)', async () => {
    const der = await opensslRequest(['-cert', 'leaf.pem']);
    const base64 = Buffer.from(der).toString('base64');
    expect(decodeOcspGetPath(encodeOcspGetPath(der))).toEqual(der);
    expect(decodeOcspGetPath(`/${base64}`)).toEqual(der);
    expect(decodeOcspGetPath(base64.replace(/\+/g, ' '))).toEqual(der);
    expect(parseOcspGetRequest(encodeOcspGetPath(der)).certIds[0]?.serial).toBe(serial);
    for (const bad of ['', '%zz', '!!!!', 'AAAA']) {
      expect(() => parseOcspGetRequest(bad)).toThrow(expect.objectContaining({ code: 'malformed_input' }));
    }
  });

  it('CA-signed responses: openssl verifies good, revoked (reason and time) and unknown and the nonce echo', async () => {
    const reqDer = await opensslRequest(['-cert', 'leaf.pem', '-cert', 'leaf2.pem', '-serial', '0x0dd']);
    const request = parseOcspRequest(reqDer);
    const signer = createOcspResponseSigner({ responderCertificate: ca.certPem, signingKey: ca.key });
    const response = await signer.sign({
      nonce: request.nonce,
      responses: [
        { certId: request.certIds[0]!, certStatus: { status: 'good' }, thisUpdate, nextUpdate },
        {
          certId: request.certIds[1]!,
          certStatus: { status: 'revoked', revokedAt: new Date('2025-05-20T08:00:00Z'), reason: 'keyCompromise' },
          thisUpdate,
          nextUpdate,
        },
        { certId: request.certIds[2]!, certStatus: { status: 'unknown' }, thisUpdate },
      ],
    });
    const { summary, nonceCheck } = await opensslCheck(response, {
      reqin: reqDer,
      certs: ['leaf.pem', 'leaf2.pem', '0x0dd'],
    });
    expect(summary.stderr).toContain('Response verify OK');
    expect(summary.stdout).not.toContain('WARNING');
    expect(summary.stdout).toContain(
      `leaf.pem: good\n\tThis Update: ${opensslDate(thisUpdate)}\n\tNext Update: ${opensslDate(nextUpdate)}`,
    );
    expect(summary.stdout).toMatch(
      /leaf2\.pem: revoked\n[\s\S]*Reason: keyCompromise\n\s+Revocation Time: May 20 08:00:00 2025 GMT/,
    );
    expect(summary.stdout).toMatch(/0x0dd: unknown/);
    expect(nonceCheck?.stderr).toContain('Response verify OK');
    expect(nonceCheck!.stderr + nonceCheck!.stdout).not.toMatch(/nonce verify error|no nonce/i);
    expect(nonceCheck?.stdout).toContain('OCSP Nonce');
    expect(nonceCheck?.stdout).toContain('Responder Id: ');
    expect(nonceCheck?.exitCode).toBe(0);

    const parsed = parseOcspResponse(response);
    expect(parsed.status).toBe('successful');
    expect(parsed.basic?.nonce).toEqual(request.nonce);
    expect(parsed.basic?.responses.map((r) => r.certStatus)).toEqual([
      { status: 'good' },
      { status: 'revoked', revokedAt: new Date('2025-05-20T08:00:00Z'), reason: 'keyCompromise' },
      { status: 'unknown' },
    ]);
    expect(parsed.basic?.responses[2]?.nextUpdate).toBeUndefined();
    expect(verifyOcspResponse(parsed, { issuerCertificate: ca.certPem })).toMatchObject({ valid: true });
    expect(verifyOcspResponse(parsed, { issuerCertificate: otherCa.certPem }).valid).toBe(false);
  });

  it('openssl reports a nonce mismatch when the response echoes a different nonce', async () => {
    const reqDer = await opensslRequest(['-cert', 'leaf.pem']);
    const request = parseOcspRequest(reqDer);
    const response = await buildOcspResponse({
      responderCertificate: ca.certPem,
      signingKey: ca.keyPem,
      nonce: Uint8Array.of(0x04, 0x02, 0xde, 0xad),
      responses: [{ certId: request.certIds[0]!, certStatus: { status: 'good' }, thisUpdate }],
    });
    const { nonceCheck } = await opensslCheck(response, { reqin: reqDer });
    expect(nonceCheck?.stderr).toMatch(/nonce verify error/i);
  });

  it('a delegated EC responder with OCSPSigning and ocsp-nocheck signs responses openssl accepts', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const responderDer = buildOcspResponderCertificate({
      issuerCertificate: ca.certPem,
      issuerKey: ca.key,
      responderPublicKeySpki: new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })),
      subject: 'CN=certctl OCSP responder, O=certctl tests',
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 86_400_000),
    });
    const text = (
      await runOpenssl(['x509', '-inform', 'DER', '-in', 'r.der', '-noout', '-text'], {
        files: { 'r.der': responderDer },
      })
    ).stdout;
    expect(text).toContain('OCSP Signing');
    expect(text).toContain('OCSP No Check');
    expect(text).toMatch(/Key Usage: critical\s+Digital Signature/);
    const verify = await runOpenssl(['verify', '-CAfile', 'ca.pem', 'r.pem'], {
      files: { 'ca.pem': ca.certPem, 'r.pem': derToPem(responderDer, 'CERTIFICATE') },
    });
    expect(verify.stdout).toContain('r.pem: OK');

    const certId = buildOcspCertId({ issuerCertificate: ca.certPem, serial });
    const response = await buildOcspResponse({
      responderCertificate: responderDer,
      signingKey: privateKey,
      responses: [
        {
          certId,
          certStatus: { status: 'revoked', revokedAt: new Date('2025-05-01T00:00:00Z') },
          thisUpdate,
          nextUpdate,
        },
      ],
    });
    const { summary } = await opensslCheck(response);
    expect(summary.stderr).toContain('Response verify OK');
    expect(summary.stdout).not.toContain('WARNING');
    expect(summary.stdout).toMatch(/leaf\.pem: revoked\n[\s\S]*Revocation Time: May {2}1 00:00:00 2025 GMT/);
    const verification = verifyOcspResponse(response, { issuerCertificate: ca.certPem });
    expect(verification.valid).toBe(true);
    expect(verification.signerCertificate).toEqual(responderDer);

    // A responder certificate not carrying the OCSPSigning EKU is refused.
    const plain = await buildOcspResponse({
      responderCertificate: leaf.certPem,
      signingKey: leaf.key,
      responses: [{ certId, certStatus: { status: 'good' }, thisUpdate }],
    });
    expect(verifyOcspResponse(plain, { issuerCertificate: ca.certPem })).toMatchObject({ valid: false });
    expect((await opensslCheck(plain)).summary.stderr).not.toContain('Response verify OK');
  });

  it('error responses are the unsigned status openssl reports', async () => {
    for (const [status, code] of [
      ['malformedRequest', 1],
      ['internalError', 2],
      ['tryLater', 3],
      ['unauthorized', 6],
    ] as const) {
      const der = buildOcspErrorResponse(status);
      expect(parseOcspResponse(der)).toEqual({ status, basic: undefined });
      const result = await runOpenssl(['ocsp', '-respin', 'e.der', '-resp_text'], {
        files: { 'e.der': der },
        check: false,
      });
      expect((result.stdout + result.stderr).toLowerCase()).toContain(
        `responder error: ${status.toLowerCase()} (${code})`,
      );
    }
  });

  it('parses and verifies a response made by openssl as responder', async () => {
    const reqDer = buildOcspRequest({
      certIds: [buildOcspCertId({ issuerCertificate: ca.certDer, serial })],
      nonce: true,
    });
    const index = `R\t351231000000Z\t250501100000Z,superseded\t${serial.toUpperCase()}\tunknown\t/CN=leaf one\n`;
    const result = await runOpenssl(
      [
        'ocsp',
        '-index',
        'index.txt',
        '-rsigner',
        'ca.pem',
        '-rkey',
        'ca.key',
        '-CA',
        'ca.pem',
        '-reqin',
        'req.der',
        '-respout',
        'resp.der',
        '-ndays',
        '1',
      ],
      {
        files: { 'index.txt': index, 'ca.pem': ca.certPem, 'ca.key': ca.keyPem, 'req.der': reqDer },
        outputs: ['resp.der'],
      },
    );
    const parsed = parseOcspResponse(new Uint8Array(result.outputs['resp.der']!));
    expect(parsed.basic?.responses[0]?.certStatus).toEqual({
      status: 'revoked',
      revokedAt: new Date('2025-05-01T10:00:00Z'),
      reason: 'superseded',
    });
    expect(parsed.basic?.nonce).toEqual(parseOcspRequest(reqDer).nonce);
    expect(parsed.basic?.responses[0]?.certId.serial).toBe(serial);
    expect(verifyOcspResponse(parsed, { issuerCertificate: ca.certPem }).valid).toBe(true);
  });

  it('a signer rejects an empty response list and an unknown status', async () => {
    const signer = createOcspResponseSigner({ responderCertificate: ca.certPem, signingKey: ca.key });
    await expect(signer.sign({ responses: [] })).rejects.toSatisfy(MalformedInputError.isInstance);
    const certId = buildOcspCertId({ issuerCertificate: ca.certPem, serial: '01' });
    expect(() =>
      signer.signSync({ responses: [{ certId, certStatus: { status: 'bogus' } as never, thisUpdate }] }),
    ).toThrow(expect.objectContaining({ code: 'malformed_input' }));
  });

  it('request, GET path and response parsers throw only MalformedInputError on fuzzed input', async () => {
    const request = await opensslRequest(['-cert', 'leaf.pem', '-cert', 'leaf2.pem']);
    const response = await buildOcspResponse({
      responderCertificate: ca.certPem,
      signingKey: ca.key,
      nonce: parseOcspRequest(request).nonce,
      responses: [
        {
          certId: parseOcspRequest(request).certIds[0]!,
          certStatus: { status: 'revoked', revokedAt: thisUpdate, reason: 'superseded' },
          thisUpdate,
          nextUpdate,
        },
      ],
    });
    fuzzParser(parseOcspRequest, [request]);
    fuzzParser(
      (bytes) => {
        const parsed = parseOcspResponse(bytes);
        verifyOcspResponse(parsed, { issuerCertificate: ca.certPem });
      },
      [response],
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (path) => {
        try {
          parseOcspGetRequest(path);
        } catch (error) {
          if (!MalformedInputError.isInstance(error)) throw error;
        }
      }),
      FUZZ_PARAMETERS,
    );
  });
});
