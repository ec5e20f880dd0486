import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connect } from 'node:tls';
import { createCsr, generateKeyPair } from '@certctl/pki';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../shared/actor.js';
import { createProfile } from '../policies/profiles.js';
import { call } from '../../testing/api-fixtures.js';
import { describeEachDialect } from '../../testing/each-dialect.js';
import { startTestServer, type TestServer } from '../../testing/test-server.js';

const run = promisify(execFile);
const PASSWORD = 'wifi-enrollment-secret';

describeEachDialect('EST server driven by curl, openssl and strongSwan pki', (ctx) => {
  let server: TestServer;
  let base: string;
  const work = mkdtempSync(join(tmpdir(), 'certctl-est-'));
  const file = (name: string) => join(work, name);
  const openssl = (...args: string[]) =>
    execFileSync('openssl', args, { cwd: work, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  /** curl against the server (async: the server runs in this process). Returns status, headers and body. */
  const curl = async (path: string, args: string[] = [], base_ = base) => {
    const { stdout } = await run(
      'curl',
      [
        '-sS',
        '--cacert',
        file('tls-ca.pem'),
        '-D',
        file('headers.txt'),
        '-o',
        file('body.bin'),
        '-w',
        '%{http_code}',
        ...args,
        `${base_}${path}`,
      ],
      { cwd: work },
    ).catch((error: { stdout?: string }) => {
      // A 413 may close the connection while curl is still uploading (curl exits 55 after reading the answer).
      if (/^[1-5]\d\d$/.test(error.stdout ?? '')) return { stdout: error.stdout! };
      throw error;
    });
    return {
      status: Number(stdout),
      headers: readFileSync(file('headers.txt'), 'utf8').toLowerCase(),
      body: readFileSync(file('body.bin')),
    };
  };
  const countCertificates = async () =>
    Number((await call(server.api, 'GET', '/api/v1/certificates?per_page=1')).json.total);
  const newCsr = (name: string, subject: string, key = 'ec') => {
    const keyArgs = key === 'ec' ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'] : ['-newkey', key];
    openssl(
      'req',
      '-new',
      ...keyArgs,
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-outform',
      'DER',
      '-subj',
      subject,
    );
    writeFileSync(file(`${name}.b64`), readFileSync(file(`${name}.csr`)).toString('base64'));
  };
  /** base64 certs-only PKCS#7 in body.bin → PEM leaf file, checked by openssl pkcs7. */
  const certsFromResponse = (out: string) => {
    writeFileSync(file('resp.b64'), readFileSync(file('body.bin')));
    openssl('base64', '-d', '-A', '-in', 'resp.b64', '-out', 'resp.p7');
    openssl('pkcs7', '-inform', 'DER', '-in', 'resp.p7', '-print_certs', '-out', out);
    return readFileSync(file(out), 'utf8');
  };

  beforeAll(async () => {
    // Placeholder bundle: the real one (the local CA) is written after start, which also proves reload without restart.
    openssl(
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'other.key',
      '-out',
      'bundle.pem',
      '-subj',
      '/CN=Unrelated CA',
      '-days',
      '2',
    );
    server = await startTestServer({
      database: ctx,
      installed: true,
      listen: true,
      env: {
        CERTCTL_EST_PROFILES: 'corp,wifi,iot',
        CERTCTL_EST_PROFILE_IOT_ISSUER_ID: 'iss-local',
        CERTCTL_EST_PROFILE_IOT_ALLOWED_AUTH_MODES: 'mtls',
        CERTCTL_EST_PROFILE_IOT_MTLS_ENABLED: 'true',
        CERTCTL_EST_PROFILE_IOT_MTLS_CLIENT_CA_TRUST_BUNDLE_PATH: file('bundle.pem'),
        CERTCTL_EST_PROFILE_IOT_CHANNEL_BINDING_REQUIRED: 'true',
        CERTCTL_EST_PROFILE_CORP_ISSUER_ID: 'iss-local',
        CERTCTL_EST_PROFILE_CORP_MTLS_ENABLED: 'true',
        CERTCTL_EST_PROFILE_CORP_MTLS_CLIENT_CA_TRUST_BUNDLE_PATH: file('bundle.pem'),
        CERTCTL_EST_PROFILE_CORP_RATE_LIMIT_PER_PRINCIPAL_24H: '2',
        CERTCTL_EST_PROFILE_WIFI_ISSUER_ID: 'iss-local',
        CERTCTL_EST_PROFILE_WIFI_PROFILE_ID: 'prof-wifi',
        CERTCTL_EST_PROFILE_WIFI_ALLOWED_AUTH_MODES: 'basic',
        CERTCTL_EST_PROFILE_WIFI_ENROLLMENT_PASSWORD: PASSWORD,
        CERTCTL_EST_PROFILE_WIFI_SERVERKEYGEN_ENABLED: 'true',
        CERTCTL_EST_PROFILE_WIFI_MTLS_ENABLED: 'true',
        CERTCTL_EST_PROFILE_WIFI_MTLS_CLIENT_CA_TRUST_BUNDLE_PATH: file('bundle.pem'),
      },
    });
    await createProfile(server.deps, SYSTEM_ACTOR, {
      id: 'prof-wifi',
      name: `wifi-${ctx.dialect}`,
      allowedKeyAlgorithms: [{ algorithm: 'ECDSA', min_size: 256 }],
      allowedEkus: ['clientAuth'],
      requiredSanPatterns: ['*.wifi.example.com'],
      maxTtlSeconds: 30 * 86_400,
    });
    base = server.urls.api!;
    const chain = (await call(server.api, 'GET', '/api/v1/issuers/iss-local/ca-chain')).body;
    writeFileSync(file('tls-ca.pem'), chain);
    writeFileSync(file('ca.pem'), chain);
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('cacerts answers a base64 certs-only PKCS#7 that openssl reads as the CA chain', async () => {
    const response = await curl('/.well-known/est/corp/cacerts');
    expect(response.status).toBe(200);
    expect(response.headers).toContain('content-type: application/pkcs7-mime; smime-type=certs-only');
    const certs = certsFromResponse('cacerts.pem');
    expect(certs).toContain('CertCtl Local CA');
  });

  it('csrattrs lists what the profile wants (EC P-256 key, extensionRequest); a profile without one answers 204', async () => {
    const response = await curl('/.well-known/est/wifi/csrattrs');
    expect(response.status).toBe(200);
    writeFileSync(file('attrs.der'), Buffer.from(response.body.toString('latin1'), 'base64'));
    const parsed = openssl('asn1parse', '-inform', 'DER', '-in', 'attrs.der');
    expect(parsed).toContain('id-ecPublicKey');
    expect(parsed).toContain('prime256v1');
    expect(parsed).toContain('Extension Request');
    expect((await curl('/.well-known/est/corp/csrattrs')).status).toBe(204);
  });

  it('simpleenroll (anonymous profile) issues a certificate openssl verifies, filed in the inventory as EST/corp', async () => {
    newCsr('dev1', '/CN=dev1.corp.example.com');
    const response = await curl('/.well-known/est/corp/simpleenroll', [
      '--data-binary',
      `@${file('dev1.b64')}`,
      '-H',
      'content-type: application/pkcs10',
    ]);
    expect(response.status, response.body.toString()).toBe(200);
    certsFromResponse('dev1.pem');
    expect(openssl('verify', '-CAfile', 'ca.pem', 'dev1.pem')).toContain('dev1.pem: OK');
    expect(openssl('x509', '-in', 'dev1.pem', '-noout', '-subject')).toContain('dev1.corp.example.com');
    const list = await call(server.api, 'GET', '/api/v1/certificates?per_page=100');
    const entry = list.json.data!.find((c) => c.common_name === 'dev1.corp.example.com');
    expect(entry).toMatchObject({
      enrollment_source: 'est',
      enrollment_profile: 'corp',
      status: 'active',
      issuer_id: 'iss-local',
    });
  });

  it('accepts a PEM CSR too', async () => {
    newCsr('pem1', '/CN=pem1.corp.example.com');
    openssl('req', '-inform', 'DER', '-in', 'pem1.csr', '-out', 'pem1.pem.csr');
    const response = await curl('/.well-known/est/corp/simpleenroll', [
      '--data-binary',
      `@${file('pem1.pem.csr')}`,
      '-H',
      'content-type: application/pkcs10',
    ]);
    expect(response.status, response.body.toString()).toBe(200);
    certsFromResponse('pem1.pem');
    expect(openssl('verify', '-CAfile', 'ca.pem', 'pem1.pem')).toContain('OK');
  });

  it('refuses garbage, truncated DER, a bad signature and oversized bodies with a 4xx and changes nothing', async () => {
    newCsr('bad', '/CN=bad.corp.example.com');
    const der = readFileSync(file('bad.csr'));
    writeFileSync(file('garbage.b64'), 'this is not base64 !!!');
    writeFileSync(file('truncated.b64'), der.subarray(0, der.length - 20).toString('base64'));
    const tampered = Buffer.from(der);
    tampered[tampered.length - 5]! ^= 0xff;
    writeFileSync(file('tampered.b64'), tampered.toString('base64'));
    writeFileSync(file('huge.b64'), Buffer.alloc(300 * 1024, 0x41));
    const before = await countCertificates();
    for (const [name, status, reason] of [
      ['garbage.b64', 400, 'neither base64'],
      ['truncated.b64', 400, 'not a valid PKCS#10'],
      ['tampered.b64', 400, ''],
      ['huge.b64', 413, ''],
    ] as const) {
      const response = await curl('/.well-known/est/corp/simpleenroll', [
        '--data-binary',
        `@${file(name)}`,
        '-H',
        'content-type: application/pkcs10',
      ]);
      expect(response.status, name).toBe(status);
      expect(response.body.toString()).toContain(reason);
    }
    expect(await countCertificates()).toBe(before);
  });

  it('Basic profile: no or wrong password is 401 with a challenge and changes nothing; the right one enrolls', async () => {
    newCsr('ap1', '/CN=ap1.wifi.example.com');
    const before = await countCertificates();
    const none = await curl('/.well-known/est/wifi/simpleenroll', [
      '--data-binary',
      `@${file('ap1.b64')}`,
      '-H',
      'content-type: application/pkcs10',
    ]);
    expect(none.status).toBe(401);
    expect(none.headers).toContain('www-authenticate: basic');
    const wrong = await curl('/.well-known/est/wifi/simpleenroll', [
      '--user',
      'device:wrong-password',
      '--data-binary',
      `@${file('ap1.b64')}`,
      '-H',
      'content-type: application/pkcs10',
    ]);
    expect(wrong.status).toBe(401);
    expect(await countCertificates()).toBe(before);
    const right = await curl('/.well-known/est/wifi/simpleenroll', [
      '--user',
      `device:${PASSWORD}`,
      '--data-binary',
      `@${file('ap1.b64')}`,
      '-H',
      'content-type: application/pkcs10',
    ]);
    expect(right.status, right.body.toString()).toBe(200);
    certsFromResponse('ap1.pem');
    expect(openssl('verify', '-CAfile', 'ca.pem', 'ap1.pem')).toContain('OK');
    expect(openssl('x509', '-in', 'ap1.pem', '-noout', '-ext', 'extendedKeyUsage')).toContain(
      'TLS Web Client Authentication',
    );
  });

  it('the profile gate refuses an RSA key, a name outside the SAN patterns and an EKU the profile does not grant, saying why', async () => {
    const before = await countCertificates();
    newCsr('rsa', '/CN=rsa.wifi.example.com', 'rsa:2048');
    const rsa = await curl('/.well-known/est/wifi/simpleenroll', [
      '--user',
      `d:${PASSWORD}`,
      '--data-binary',
      `@${file('rsa.b64')}`,
    ]);
    expect(rsa.status).toBe(400);
    expect(rsa.body.toString()).toContain('key type rsa is not allowed');
    newCsr('out', '/CN=laptop.corp.example.com');
    const outside = await curl('/.well-known/est/wifi/simpleenroll', [
      '--user',
      `d:${PASSWORD}`,
      '--data-binary',
      `@${file('out.b64')}`,
    ]);
    expect(outside.status).toBe(400);
    expect(outside.body.toString()).toContain('required_san_patterns');
    openssl(
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'eku.key',
      '-out',
      'eku.csr',
      '-outform',
      'DER',
      '-subj',
      '/CN=eku.wifi.example.com',
      '-addext',
      'extendedKeyUsage=codeSigning',
    );
    writeFileSync(file('eku.b64'), readFileSync(file('eku.csr')).toString('base64'));
    const eku = await curl('/.well-known/est/wifi/simpleenroll', [
      '--user',
      `d:${PASSWORD}`,
      '--data-binary',
      `@${file('eku.b64')}`,
    ]);
    expect(eku.status).toBe(400);
    expect(eku.body.toString()).toContain('codeSigning');
    expect(await countCertificates()).toBe(before);
  });

  it('limits enrollments per (CN, source IP) to the configured count', async () => {
    newCsr('lim', '/CN=limited.corp.example.com');
    const args = ['--data-binary', `@${file('lim.b64')}`];
    expect((await curl('/.well-known/est/corp/simpleenroll', args)).status).toBe(200);
    expect((await curl('/.well-known/est/corp/simpleenroll', args)).status).toBe(200);
    const third = await curl('/.well-known/est/corp/simpleenroll', args);
    expect(third.status).toBe(429);
    expect(third.body.toString()).toContain('enrollment limit');
  });

  it('simplereenroll over the mTLS route with the current certificate; the bundle reloads without a restart', async () => {
    newCsr('dev2', '/CN=dev2.corp.example.com');
    expect((await curl('/.well-known/est/corp/simpleenroll', ['--data-binary', `@${file('dev2.b64')}`])).status).toBe(
      200,
    );
    certsFromResponse('dev2.pem');
    openssl(
      'req',
      '-new',
      '-key',
      'dev2.key',
      '-out',
      'dev2-renew.csr',
      '-outform',
      'DER',
      '-subj',
      '/CN=dev2.corp.example.com',
    );
    writeFileSync(file('dev2-renew.b64'), readFileSync(file('dev2-renew.csr')).toString('base64'));
    const mtls = ['--cert', file('dev2.pem'), '--key', file('dev2.key'), '--data-binary', `@${file('dev2-renew.b64')}`];
    // The bundle still holds only the unrelated CA: the client certificate is refused.
    const refused = await curl('/.well-known/est-mtls/corp/simplereenroll', mtls);
    expect(refused.status).toBe(403);
    writeFileSync(file('bundle.pem'), readFileSync(file('ca.pem')));
    const renewed = await curl('/.well-known/est-mtls/corp/simplereenroll', mtls);
    expect(renewed.status, renewed.body.toString()).toBe(200);
    certsFromResponse('dev2-new.pem');
    expect(openssl('verify', '-CAfile', 'ca.pem', 'dev2-new.pem')).toContain('OK');
    expect(openssl('x509', '-in', 'dev2-new.pem', '-noout', '-serial')).not.toBe(
      openssl('x509', '-in', 'dev2.pem', '-noout', '-serial'),
    );
    const list = await call(server.api, 'GET', '/api/v1/certificates?per_page=100');
    const entry = list.json.data!.find((c) => c.common_name === 'dev2.corp.example.com')!;
    expect((await call(server.api, 'GET', `/api/v1/certificates/${entry.id}/versions`)).json.total).toBe(2);
    // The replaced certificate cannot re-enroll again; no client certificate at all is refused too.
    expect((await curl('/.well-known/est-mtls/corp/simplereenroll', mtls)).status).toBe(403);
    expect(
      (await curl('/.well-known/est-mtls/corp/simplereenroll', ['--data-binary', `@${file('dev2-renew.b64')}`])).status,
    ).toBe(403);
    // A changed subject is refused (RFC 7030 4.2.2).
    openssl(
      'req',
      '-new',
      '-key',
      'dev2.key',
      '-out',
      'dev2-other.csr',
      '-outform',
      'DER',
      '-subj',
      '/CN=someone-else.corp.example.com',
    );
    writeFileSync(file('dev2-other.b64'), readFileSync(file('dev2-other.csr')).toString('base64'));
    const other = await curl('/.well-known/est-mtls/corp/simplereenroll', [
      '--cert',
      file('dev2-new.pem'),
      '--key',
      file('dev2.key'),
      '--data-binary',
      `@${file('dev2-other.b64')}`,
    ]);
    expect(other.status).toBe(400);
    expect(other.body.toString()).toContain('differs from the current certificate');
  });

  it("RFC 9266 channel binding: a CSR carrying this connection's tls-exporter value enrolls; another value or no client certificate is refused", async () => {
    // Runs after the reenroll test, which put the local CA into the shared trust bundle.
    const url = new URL(base);
    /** One TLS 1.3 connection with dev2's certificate: the CSR is made after the handshake, from its exporter. */
    const enrollOverBinding = (binding: (exporter: Buffer) => string, withCert = true) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const socket = connect(
          {
            host: url.hostname,
            port: Number(url.port),
            ca: readFileSync(file('tls-ca.pem')),
            minVersion: 'TLSv1.3',
            servername: 'localhost',
            ...(withCert && { cert: readFileSync(file('dev2-new.pem')), key: readFileSync(file('dev2.key')) }),
          },
          async () => {
            try {
              const exporter = socket.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0));
              const keys = await generateKeyPair({ algorithm: 'ecdsa-p256' });
              const csr = await createCsr({
                keys,
                subject: { CN: 'sensor-1.iot.example.com' },
                challengePassword: binding(exporter),
              });
              const body = Buffer.from(csr.der).toString('base64');
              socket.write(
                `POST /.well-known/est-mtls/iot/simpleenroll HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/pkcs10\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
              );
            } catch (error) {
              reject(error);
            }
          },
        );
        const chunks: Buffer[] = [];
        socket.on('data', (c: Buffer) => chunks.push(c));
        socket.on('error', reject);
        socket.on('end', () => {
          const text = Buffer.concat(chunks).toString('latin1');
          resolve({
            status: Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1]),
            body: text.split('\r\n\r\n').slice(1).join('\r\n\r\n'),
          });
        });
      });
    const before = await countCertificates();
    const wrong = await enrollOverBinding(() => Buffer.alloc(32, 7).toString('base64'));
    expect(wrong.status).toBe(403);
    expect(wrong.body).toContain('tls-exporter');
    const anonymous = await enrollOverBinding((e) => e.toString('base64'), false);
    expect(anonymous.status).toBe(403);
    expect(await countCertificates()).toBe(before);
    const bound = await enrollOverBinding((e) => e.toString('base64'));
    expect(bound.status, bound.body).toBe(200);
    // The body may be chunked; take the base64 run.
    const b64 = /[A-Za-z0-9+/=]{200,}/.exec(bound.body)![0];
    writeFileSync(file('body.bin'), b64);
    certsFromResponse('sensor.pem');
    expect(openssl('verify', '-CAfile', 'ca.pem', 'sensor.pem')).toContain('OK');
    expect(openssl('x509', '-in', 'sensor.pem', '-noout', '-subject')).toContain('sensor-1.iot.example.com');
  });

  it('serverkeygen answers multipart/mixed with a PKCS#8 key and the certificate for it', async () => {
    newCsr('kg', '/CN=kg.wifi.example.com');
    const response = await curl('/.well-known/est/wifi/serverkeygen', [
      '--user',
      `d:${PASSWORD}`,
      '--data-binary',
      `@${file('kg.b64')}`,
      '-H',
      'content-type: application/pkcs10',
    ]);
    expect(response.status, response.body.toString()).toBe(200);
    const boundary = /boundary=([^\s;]+)/.exec(response.headers)![1]!;
    const parts = response.body.toString('latin1').split(`--${boundary}`).slice(1, -1);
    expect(parts).toHaveLength(2);
    const [keyPart, certPart] = parts.map((p) => p.trim().split('\r\n\r\n'));
    expect(keyPart![0]).toContain('application/pkcs8');
    expect(certPart![0]).toContain('application/pkcs7-mime; smime-type=certs-only');
    writeFileSync(file('kg-key.der'), Buffer.from(keyPart![1]!, 'base64'));
    writeFileSync(file('body.bin'), certPart![1]!);
    certsFromResponse('kg.pem');
    expect(openssl('verify', '-CAfile', 'ca.pem', 'kg.pem')).toContain('OK');
    const keyPub = openssl('pkey', '-inform', 'DER', '-in', 'kg-key.der', '-pubout');
    expect(openssl('x509', '-in', 'kg.pem', '-noout', '-pubkey')).toBe(keyPub);
    expect(openssl('x509', '-in', 'kg.pem', '-noout', '-subject')).toContain('kg.wifi.example.com');
  });

  it('serverkeygen with AsymmetricDecryptKeyIdentifier returns the key enveloped to the RSA client certificate, signed by the server', async () => {
    newCsr('rsacl', '/CN=rsacl.corp.example.com', 'rsa:2048');
    expect((await curl('/.well-known/est/corp/simpleenroll', ['--data-binary', `@${file('rsacl.b64')}`])).status).toBe(
      200,
    );
    certsFromResponse('rsacl.pem');
    writeFileSync(
      file('kg2.cnf'),
      '[req]\ndistinguished_name=dn\nattributes=attrs\nprompt=no\n[dn]\nCN=kg2.wifi.example.com\n[attrs]\n1.2.840.113549.1.9.16.2.54 = rsacl-key\n',
    );
    openssl(
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'kg2-ignored.key',
      '-config',
      'kg2.cnf',
      '-out',
      'kg2.csr',
      '-outform',
      'DER',
    );
    writeFileSync(file('kg2.b64'), readFileSync(file('kg2.csr')).toString('base64'));
    const before = await countCertificates();
    const noCert = await curl('/.well-known/est/wifi/serverkeygen', [
      '--user',
      `d:${PASSWORD}`,
      '--data-binary',
      `@${file('kg2.b64')}`,
    ]);
    expect(noCert.status).toBe(403);
    expect(await countCertificates()).toBe(before);
    const response = await curl('/.well-known/est-mtls/wifi/serverkeygen', [
      '--cert',
      file('rsacl.pem'),
      '--key',
      file('rsacl.key'),
      '--data-binary',
      `@${file('kg2.b64')}`,
    ]);
    expect(response.status, response.body.toString()).toBe(200);
    const boundary = /boundary=([^\s;]+)/.exec(response.headers)![1]!;
    const [keyPart, certPart] = response.body
      .toString('latin1')
      .split(`--${boundary}`)
      .slice(1, -1)
      .map((p) => p.trim().split('\r\n\r\n'));
    expect(keyPart![0]).toContain('application/pkcs7-mime; smime-type=server-generated-key');
    writeFileSync(file('kg2-key.p7'), Buffer.from(keyPart![1]!, 'base64'));
    // The SignedData verifies against the server's TLS CA; its content is the EnvelopedData.
    openssl(
      'cms',
      '-verify',
      '-inform',
      'DER',
      '-in',
      'kg2-key.p7',
      '-CAfile',
      'tls-ca.pem',
      '-purpose',
      'any',
      '-binary',
      '-out',
      'kg2-env.der',
    );
    const env = readFileSync(file('kg2-env.der'));
    const oid = Buffer.from('06092a864886f70d010703', 'hex');
    const len = (n: number) =>
      n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
    const explicit = Buffer.concat([Buffer.from([0xa0]), len(env.length), env]);
    writeFileSync(
      file('kg2-env.ci'),
      Buffer.concat([Buffer.from([0x30]), len(oid.length + explicit.length), oid, explicit]),
    );
    openssl(
      'cms',
      '-decrypt',
      '-inform',
      'DER',
      '-in',
      'kg2-env.ci',
      '-inkey',
      'rsacl.key',
      '-recip',
      'rsacl.pem',
      '-binary',
      '-out',
      'kg2-key.der',
    );
    writeFileSync(file('body.bin'), certPart![1]!);
    certsFromResponse('kg2.pem');
    expect(openssl('verify', '-CAfile', 'ca.pem', 'kg2.pem')).toContain('OK');
    expect(openssl('x509', '-in', 'kg2.pem', '-noout', '-pubkey')).toBe(
      openssl('pkey', '-inform', 'DER', '-in', 'kg2-key.der', '-pubout'),
    );
  });

  it('strongSwan pki fetches the CA certificates (--estca) and enrolls (--est) on the single-profile endpoint', async () => {
    // strongSwan 5.9 appends /.well-known/est/<operation> to --url and has no label option, so it
    // talks to the legacy single-profile endpoint: a second server on the same database serves it.
    const legacy = await startTestServer({
      database: ctx,
      installed: true,
      listen: true,
      env: { CERTCTL_EST_ENABLED: 'true', CERTCTL_EST_ISSUER_ID: 'iss-local' },
    });
    try {
      const url = legacy.urls.api!;
      const pki = (args: string[]) => run('pki', args, { cwd: work, env: { ...process.env, LANG: 'C' } });
      await pki([
        '--estca',
        '--url',
        url,
        '--cacert',
        file('tls-ca.pem'),
        '--caout',
        file('sw-ca.pem'),
        '--outform',
        'pem',
        '--force',
      ]);
      expect(openssl('x509', '-in', 'sw-ca.pem', '-noout', '-subject')).toContain('CertCtl Local CA');
      openssl(
        'req',
        '-new',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        'sw.key',
        '-out',
        'sw.csr',
        '-outform',
        'DER',
        '-subj',
        '/CN=sw.legacy.example.com',
      );
      const { stdout } = await pki([
        '--est',
        '--url',
        url,
        '--in',
        file('sw.csr'),
        '--cacert',
        file('tls-ca.pem'),
        '--outform',
        'pem',
      ]);
      writeFileSync(file('sw.pem'), stdout);
      expect(openssl('verify', '-CAfile', 'ca.pem', 'sw.pem')).toContain('sw.pem: OK');
      const list = await call(server.api, 'GET', '/api/v1/certificates?per_page=100');
      expect(list.json.data!.find((c) => c.common_name === 'sw.legacy.example.com')).toMatchObject({
        enrollment_source: 'est',
        enrollment_profile: 'default',
      });
    } finally {
      await legacy.stop();
    }
  });

  // Last: it locks this address out of the wifi profile for an hour.
  it('after 10 wrong enrollment passwords from one address, even the right one gets 429', async () => {
    newCsr('brute', '/CN=brute.wifi.example.com');
    const attempt = (password: string) =>
      curl('/.well-known/est/wifi/simpleenroll', ['--user', `d:${password}`, '--data-binary', `@${file('brute.b64')}`]);
    const before = await countCertificates();
    let wrong = 0;
    for (let i = 0; i < 12; i++) if ((await attempt(`guess-${i}`)).status === 401) wrong++;
    expect(wrong).toBeLessThanOrEqual(10);
    const right = await attempt(PASSWORD);
    expect(right.status).toBe(429);
    expect(right.headers).toContain('retry-after');
    expect(await countCertificates()).toBe(before);
  });
});
