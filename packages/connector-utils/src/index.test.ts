import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as connectorUtils from './index.js';

describe('@certctl/connector-utils', () => {
  it('exports VERSION equal to package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(connectorUtils.VERSION).toBe(pkg.version);
  });

  it('exports the public API', () => {
    for (const name of [
      'createHttpClient',
      'notificationFacts',
      'notificationLink',
      'createSsrfPolicy',
      'ssrfPolicyForNetwork',
      'refusedConfigAddresses',
      'refusedConfigAddressesResolved',
      'createSsrfAgent',
      'classifyAddress',
      'createMtlsAgent',
      'pollUntil',
      'deployFiles',
      'deployFilesWithCommands',
      'describeCommandDeploy',
      'checkDeployedCertificate',
      'privateKeyPemFor',
      'createFileTarget',
      'operatorCommandProblem',
      'refineOperatorCommand',
      'createCommandRunner',
      'parseOperatorCommand',
      'validateArgument',
      'prepareTlsMaterial',
      'readDeployedCertificate',
      'isSameCertificate',
      'createOperatorCommand',
      'probeTlsCertificate',
      'verifyServedCertificate',
      'splitCertificates',
      'orderCertificateChain',
      'buildFullchain',
      'buildCombinedPem',
      'normalizePem',
      'createConnectorContext',
      'createFakeClock',
      'createConsoleJsonLogger',
      'createMemorySecretStore',
      'noopMetrics',
      'systemClock',
    ]) {
      expect(connectorUtils, name).toHaveProperty(name);
    }
  });
});
