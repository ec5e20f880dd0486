import { describe, expect, it } from 'vitest';
import {
  configAddresses,
  refusedConfigAddresses,
  refusedConfigAddressesResolved,
  ssrfPolicyForNetwork,
} from './config-urls.js';

const PROBED = [
  'http://169.254.169.254/latest/meta-data/',
  'http://[::ffff:169.254.169.254]/',
  'http://2852039166/',
  'http://0xA9FEA9FE/',
  'https://10.0.0.1/hook',
  'https://[fd00::1]/hook',
  'http://100.100.100.200/',
  'http://metadata.google.internal/computeMetadata/v1/',
  'http://127.0.0.1:8080/',
];

describe('config addresses under the app network policy', () => {
  it('finds every http(s) URL at any depth, with its path', () => {
    expect(
      configAddresses({
        webhook_url: 'https://hooks.example.com/x',
        nested: { list: ['http://a.example/'] },
        name: 'x',
      }),
    ).toEqual(
      expect.arrayContaining([
        { path: 'webhook_url', url: 'https://hooks.example.com/x' },
        { path: 'nested.list.0', url: 'http://a.example/' },
      ]),
    );
  });

  it('refuses metadata, private, CGNAT and loopback addresses in every notation, without DNS', () => {
    const policy = ssrfPolicyForNetwork({});
    for (const url of PROBED) expect(refusedConfigAddresses({ url }, policy), url).toHaveLength(1);
    expect(refusedConfigAddresses({ url: 'https://hooks.slack.com/services/x' }, policy)).toEqual([]);
    expect(refusedConfigAddresses({ url: 'http://169.254.169.254/' }, policy)[0]).toMatchObject({
      path: 'url',
      message: expect.stringMatching(/metadata/),
    });
  });

  it('follows the network the operator allowed, and never allows metadata through a flag', () => {
    const lan = ssrfPolicyForNetwork({ allow: ['10.0.0.0/8', 'fd00::/8'], allowLoopback: true });
    expect(
      refusedConfigAddresses({ a: 'https://10.0.0.1/', b: 'https://[fd00::1]/', c: 'http://127.0.0.1/' }, lan),
    ).toEqual([]);
    expect(
      refusedConfigAddresses(
        { a: 'http://169.254.169.254/' },
        ssrfPolicyForNetwork({ allowPrivate: true, allowLoopback: true }),
      ),
    ).toHaveLength(1);
  });

  it('resolves names before a connection test: a name resolving to a private address is refused', async () => {
    const policy = ssrfPolicyForNetwork({});
    expect(await refusedConfigAddressesResolved({ url: 'http://localhost:1/' }, policy)).toHaveLength(1);
  });
});
