/** Envoy's file-based SDS: a DiscoveryResponse whose resources are `envoy.extensions.transport_sockets.tls.v3.Secret`s. */

export const SECRET_TYPE_URL = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret';

export interface SdsSecret {
  '@type': typeof SECRET_TYPE_URL;
  name: string;
  tls_certificate: {
    certificate_chain: { filename: string };
    private_key: { filename: string };
  };
}

export interface SdsDiscoveryResponse {
  resources: SdsSecret[];
}

/** The SDS file for one TLS certificate given by file names (Envoy also watches those files for changes). */
export function buildSdsFile(name: string, certificateChainPath: string, privateKeyPath: string): string {
  const response: SdsDiscoveryResponse = {
    resources: [
      {
        '@type': SECRET_TYPE_URL,
        name,
        tls_certificate: {
          certificate_chain: { filename: certificateChainPath },
          private_key: { filename: privateKeyPath },
        },
      },
    ],
  };
  return `${JSON.stringify(response, null, 2)}\n`;
}

/** Parses an SDS file and returns its tls_certificate Secrets; throws an Error when it is not that shape. */
export function readSdsFile(text: string): SdsSecret[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error('the SDS file is not JSON');
  }
  const resources = (doc as Partial<SdsDiscoveryResponse> | null)?.resources;
  if (!Array.isArray(resources) || resources.length === 0) throw new Error('the SDS file has no resources');
  for (const resource of resources as unknown[]) {
    const r = resource as Partial<SdsSecret> | null;
    if (r?.['@type'] !== SECRET_TYPE_URL) throw new Error(`a resource is not a ${SECRET_TYPE_URL}`);
    if (typeof r.name !== 'string' || r.name.length === 0) throw new Error('a Secret has no name');
    const tls = r.tls_certificate;
    if (typeof tls?.certificate_chain?.filename !== 'string' || typeof tls?.private_key?.filename !== 'string') {
      throw new Error(`Secret ${r.name} lacks tls_certificate.certificate_chain.filename or private_key.filename`);
    }
  }
  return resources as SdsSecret[];
}
