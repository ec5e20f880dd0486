import { describe, expect, it } from 'vitest';
import {
  ConfigValidationError,
  ConnectorError,
  DeadlineExceededError,
  isRetryable,
  OrderPendingError,
  UnsupportedOperationError,
  VendorApiError,
} from './errors.js';

describe('typed errors', () => {
  it('prefixes messages with the connector name', () => {
    const e = new VendorApiError({ connector: 'issuer-digicert', message: 'order 1234 rejected (403)', status: 403 });
    expect(e.message).toBe('[certctl] [issuer-digicert] order 1234 rejected (403)');
  });

  it('treats 408, 409, 429, 5xx and network failures as retryable, other 4xx not', () => {
    for (const status of [408, 409, 429, 500, 502, 503, 504, 599]) {
      expect(new VendorApiError({ message: 'x', status }).retryable, String(status)).toBe(true);
    }
    for (const status of [400, 401, 403, 404, 422]) {
      expect(new VendorApiError({ message: 'x', status }).retryable, String(status)).toBe(false);
    }
    expect(new VendorApiError({ message: 'connection reset' }).retryable).toBe(true);
    expect(new VendorApiError({ message: 'x', status: 503, retryable: false }).retryable).toBe(false);
  });

  it('recognises errors made by another copy of core through symbol markers', () => {
    // A structurally foreign object carrying the markers stands in for an error from a second copy of core.
    const foreign = Object.assign(new Error('from elsewhere'), {});
    Object.defineProperty(foreign, Symbol.for('certctl.error.ConnectorError'), { value: true });
    Object.defineProperty(foreign, Symbol.for('certctl.error.VendorApiError'), { value: true });
    expect(ConnectorError.isInstance(foreign)).toBe(true);
    expect(VendorApiError.isInstance(foreign)).toBe(true);
    expect(ConfigValidationError.isInstance(foreign)).toBe(false);
    expect(ConnectorError.isInstance(new Error('plain'))).toBe(false);
    expect(ConnectorError.isInstance(null)).toBe(false);
  });

  it('keeps subclass markers distinct', () => {
    const e = new UnsupportedOperationError({ connector: 'issuer-local', operation: 'renewalInfo' });
    expect(ConnectorError.isInstance(e)).toBe(true);
    expect(UnsupportedOperationError.isInstance(e)).toBe(true);
    expect(VendorApiError.isInstance(e)).toBe(false);
    expect(e.message).toContain('renewalInfo is not supported');
  });

  it('gives a connector subclass a working isInstance from its errorName alone', () => {
    class QuotaError extends VendorApiError {
      static override readonly errorName = 'QuotaError';
    }
    class UnnamedError extends ConnectorError {}
    const quota = new QuotaError({ connector: 'issuer-x', status: 429, message: 'quota' });
    expect(QuotaError.isInstance(quota)).toBe(true);
    expect(VendorApiError.isInstance(quota)).toBe(true);
    expect(ConnectorError.isInstance(quota)).toBe(true);
    expect(QuotaError.isInstance(new VendorApiError({ status: 429, message: 'other' }))).toBe(false);
    expect(ConnectorError.isInstance(new UnnamedError({ message: 'x' }))).toBe(true);
    const foreign = { [Symbol.for('certctl.error.QuotaError')]: true };
    expect(QuotaError.isInstance(foreign)).toBe(true);
  });

  it('keeps isInstance bound to its class when passed around unbound', () => {
    const errors = [new VendorApiError({ status: 500, message: 'a' }), new DeadlineExceededError({ message: 'b' })];
    expect(errors.filter(VendorApiError.isInstance)).toHaveLength(1);
    expect(errors.filter(ConnectorError.isInstance)).toHaveLength(2);
  });

  it('reports retryability through isRetryable', () => {
    expect(isRetryable(new DeadlineExceededError({ message: 'slow' }))).toBe(true);
    expect(isRetryable(new OrderPendingError({ orderId: 'o1' }))).toBe(true);
    expect(isRetryable(new ConfigValidationError({ issues: [{ path: 'a', message: 'required' }] }))).toBe(false);
    expect(isRetryable(new Error('plain'))).toBe(false);
  });

  it('summarises config issues by path', () => {
    const e = new ConfigValidationError({
      connector: 'issuer-acme',
      issues: [
        { path: 'directory_url', message: 'Invalid URL' },
        { path: 'eab.kid', message: 'Required' },
      ],
    });
    expect(e.message).toBe(
      '[certctl] [issuer-acme] invalid configuration: directory_url: Invalid URL; eab.kid: Required',
    );
  });
});
