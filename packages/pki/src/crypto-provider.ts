/**
 * One place that wires the libraries to Node's WebCrypto. @peculiar/x509 needs reflect-metadata
 * loaded before it and a crypto provider; pkijs needs an engine. Every module of this package that
 * uses either library imports from here, never from the libraries directly, so the setup always runs first.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import * as pkijs from 'pkijs';

export const crypto = webcrypto as unknown as Crypto;

x509.cryptoProvider.set(crypto);
pkijs.setEngine('node', new pkijs.CryptoEngine({ name: 'node', crypto }));

export { x509, pkijs };
