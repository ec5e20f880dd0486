/** The Kubernetes Secrets target's JSON config (snake_case, as in the reference table). */
import { z } from 'zod';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
// Label and annotation keys: an optional DNS-subdomain prefix and a name of up to 63 characters.
const METADATA_KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

export const RESERVED_PREFIX = 'certctl.io/';

const metadataKey = z
  .string()
  .max(316)
  .regex(METADATA_KEY, 'must be a Kubernetes label or annotation key ([prefix/]name)')
  .refine((k) => !k.startsWith(RESERVED_PREFIX), `keys under ${RESERVED_PREFIX} are set by certctl`);

export const k8sSecretConfigSchema = z.strictObject({
  namespace: z
    .string()
    .min(1)
    .max(63)
    .regex(DNS_LABEL, 'must be a DNS-1123 label (lowercase letters, digits, "-")')
    .describe('Kubernetes namespace of the Secret'),
  secret_name: z
    .string()
    .min(1)
    .max(253)
    .regex(DNS_SUBDOMAIN, 'must be a DNS-1123 subdomain (lowercase letters, digits, "-", ".")')
    .describe('Name of the kubernetes.io/tls Secret'),
  labels: z
    .record(metadataKey, z.string().max(63).regex(LABEL_VALUE, 'must be a valid label value'))
    .optional()
    .describe('Additional labels on the Secret'),
  annotations: z.record(metadataKey, z.string().max(4096)).optional().describe('Additional annotations on the Secret'),
  kubeconfig_path: z
    .string()
    .min(2)
    .refine((p) => p.startsWith('/'), 'must be an absolute path')
    .optional()
    .describe("Kubeconfig for agents outside the cluster; without it the agent uses its Pod's ServiceAccount"),
  context: z.string().min(1).max(253).optional().describe('Kubeconfig context to use; default the current context'),
  include_ca: z
    .boolean()
    .default(false)
    .describe('Also write ca.crt: the last certificate of the chain (the root, or the top intermediate)'),
  timeout_seconds: z.int().min(1).max(300).default(30).describe('Deadline of each API request'),
  max_conflict_retries: z
    .int()
    .min(0)
    .max(20)
    .default(5)
    .describe('How often a write that lost a race (409 Conflict) is retried from a fresh read'),
});

export type K8sSecretTargetConfig = z.output<typeof k8sSecretConfigSchema>;
export type K8sSecretTargetConfigInput = z.input<typeof k8sSecretConfigSchema>;
