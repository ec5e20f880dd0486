/**
 * Persistence of a tree-mode hierarchy in the instance's secret store (encrypted at rest by the app):
 * one JSON document for the tree (`ca-tree`) and one entry per CA key (`ca-tree-key:<name>`). A key is
 * written before the document that names it, so a crash never leaves a node without its key.
 */
import type { CaNameConstraints, CaState, ConnectorSecretStore } from '@certctl/core';
import { ConnectorError } from '@certctl/core';
import { CONNECTOR } from '../connector-name.js';

export const CA_TREE_SECRET = 'ca-tree';
export const caKeySecret = (name: string): string => `ca-tree-key:${name}`;

/** Id of the top of the tree: the issuer's own root (or sub-CA in file mode). */
export const TOP_CA_ID = 'root';

export interface StoredCaNode {
  name: string;
  parent: string;
  state: Exclude<CaState, 'retired'> | 'retired';
  certificate_pem: string;
  name_constraints?: CaNameConstraints;
  created_at: string;
  retired_at?: string;
}

export interface StoredCaTree {
  format: 1;
  /** Name of the CA that signs leaves (`root` for the top). */
  issuing: string;
  nodes: StoredCaNode[];
}

export const emptyTree = (): StoredCaTree => ({ format: 1, issuing: TOP_CA_ID, nodes: [] });

function treeError(message: string, cause?: unknown): ConnectorError {
  return new ConnectorError({ connector: CONNECTOR, message, cause, retryable: false });
}

export async function readTree(secrets: ConnectorSecretStore): Promise<StoredCaTree> {
  const raw = await secrets.get(CA_TREE_SECRET);
  if (raw === undefined) return emptyTree();
  let parsed: StoredCaTree;
  try {
    parsed = JSON.parse(raw) as StoredCaTree;
  } catch (cause) {
    throw treeError(
      `the stored CA tree (secret "${CA_TREE_SECRET}") is not valid JSON; restore it from a backup`,
      cause,
    );
  }
  if (parsed?.format !== 1 || !Array.isArray(parsed.nodes) || typeof parsed.issuing !== 'string') {
    throw treeError(`the stored CA tree (secret "${CA_TREE_SECRET}") has an unknown format; restore it from a backup`);
  }
  return parsed;
}

export async function writeTree(secrets: ConnectorSecretStore, tree: StoredCaTree): Promise<void> {
  await secrets.set(CA_TREE_SECRET, JSON.stringify(tree));
}
