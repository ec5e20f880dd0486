import type { FakeAcm } from '@certctl/connector-testkit';
import { vi } from 'vitest';

/**
 * The SDK's default credential chain, fed the way an operator would (AWS_* variables on the agent
 * host) with the fake's key pair; IMDS is switched off so nothing reaches for a metadata service.
 */
export function useFakeAcmCredentials(acm: FakeAcm): void {
  vi.stubEnv('AWS_ACCESS_KEY_ID', acm.accessKeyId);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', acm.secretAccessKey);
  vi.stubEnv('AWS_SESSION_TOKEN', '');
  vi.stubEnv('AWS_PROFILE', '');
  vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
  vi.stubEnv('AWS_CONFIG_FILE', '/nonexistent/certctl-test-aws-config');
  vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', '/nonexistent/certctl-test-aws-credentials');
}
