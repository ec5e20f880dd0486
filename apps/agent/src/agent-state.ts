import { join } from 'node:path';
import { type AgentWorkItem, agentWorkItem, deployMetadata, deploymentVerification } from '@certctl/wire';
import { z } from 'zod';
import { readOptionalFile, writePrivateFile } from './private-files.js';

/** Who this agent is to the server: written once at registration (0600). */
const identitySchema = z.object({
  agent_id: z.string().min(1),
  api_key: z.string().min(1),
  server_url: z.string(),
  registered_at: z.string(),
});
export type AgentIdentity = z.infer<typeof identitySchema>;

/** Work items are checked with the server's own schema, at run time and when the journal is read. */
const workItemSchema = agentWorkItem;
export type WorkItem = AgentWorkItem;
export const workResponseSchema = z.object({ jobs: z.array(workItemSchema.passthrough()), count: z.number() });

/**
 * Where a job stands on this host, written before and after each step that must not run twice, so
 * a restart resumes: `key-ready` (key on disk, CSR not confirmed), `csr-submitted`, `deploying`
 * (deploy may have happened; targets are idempotent), `deployed` (do not deploy again: report),
 * `http01-served` (an order's HTTP-01 files are in the webroot until the server stops listing it).
 */
const journalEntrySchema = z.object({
  item: workItemSchema,
  phase: z.enum(['key-ready', 'csr-submitted', 'deploying', 'deployed', 'http01-served']),
  key_file: z.string().optional(),
  fingerprint_sha256: z.string().optional(),
  outcome: z
    .object({
      status: z.enum(['succeeded', 'failed']),
      error: z.string().optional(),
      verification: deploymentVerification.optional(),
      /** What the target reported (e.g. `certificate_arn`), sent with the report so the server keeps it. */
      metadata: deployMetadata.optional(),
    })
    .optional(),
  updated_at: z.string(),
});
export type JournalEntry = z.infer<typeof journalEntrySchema>;
const journalSchema = z.object({ jobs: z.record(z.string(), journalEntrySchema) });

/** Journal entries are per job; an HTTP-01 challenge has its own (its job may also have a CSR entry). */
export const journalKey = (item: WorkItem): string =>
  item.type === 'http01' && item.challenge_id ? `http01:${item.challenge_id}` : item.job_id;

/** The agent's state dir: identity.json and journal.json, both 0600, both replaced atomically. */
export function createAgentState(stateDir: string) {
  const identityPath = join(stateDir, 'identity.json');
  const journalPath = join(stateDir, 'journal.json');
  let journal: z.infer<typeof journalSchema> | undefined;

  const loadJournal = async () => {
    if (journal) return journal;
    const text = await readOptionalFile(journalPath);
    journal = text ? journalSchema.parse(JSON.parse(text)) : { jobs: {} };
    return journal;
  };
  const saveJournal = async () => writePrivateFile(journalPath, `${JSON.stringify(journal, null, 2)}\n`);

  return {
    identityPath,
    journalPath,
    async readIdentity(): Promise<AgentIdentity | undefined> {
      const text = await readOptionalFile(identityPath);
      if (!text) return undefined;
      const parsed = identitySchema.safeParse(JSON.parse(text));
      if (!parsed.success)
        throw new Error(`${identityPath} is not a certctl agent identity; move it away to register again`);
      return parsed.data;
    },
    async writeIdentity(identity: AgentIdentity): Promise<void> {
      await writePrivateFile(identityPath, `${JSON.stringify(identity, null, 2)}\n`);
    },
    async entries(): Promise<JournalEntry[]> {
      return Object.values((await loadJournal()).jobs);
    },
    async get(jobId: string): Promise<JournalEntry | undefined> {
      return (await loadJournal()).jobs[jobId];
    },
    async put(entry: Omit<JournalEntry, 'updated_at'>): Promise<void> {
      (await loadJournal()).jobs[journalKey(entry.item)] = { ...entry, updated_at: new Date().toISOString() };
      await saveJournal();
    },
    async remove(jobId: string): Promise<void> {
      const j = await loadJournal();
      if (!(jobId in j.jobs)) return;
      delete j.jobs[jobId];
      await saveJournal();
    },
  };
}
export type AgentState = ReturnType<typeof createAgentState>;
