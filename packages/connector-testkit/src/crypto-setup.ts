/**
 * Wires @peculiar/x509 and pkijs to Node's WebCrypto. Every testkit module that uses either library
 * imports them from here, so the setup has always run first.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import * as pkijs from 'pkijs';

export const subtle = webcrypto.subtle as unknown as SubtleCrypto;

x509.cryptoProvider.set(webcrypto as unknown as Crypto);
pkijs.setEngine('node', new pkijs.CryptoEngine({ name: 'node', crypto: webcrypto as unknown as Crypto }));

export { pkijs, x509 };
