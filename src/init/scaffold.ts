// Writes a new profile from a person's answers. Secrets go in only as
// ${env:NAME} references; everything else is plain YAML with comments that
// say what to check before the first run.
import { Document, isMap, isSeq, type YAMLMap, type YAMLSeq } from 'yaml';
import type { ProposedResource } from './openapi.js';

export interface ProfileAnswers {
  readonly system: string;
  readonly environment: string;
  readonly purpose: string;
  readonly owner: string;
  /** An origin (https://api.example.com) or a reference (${env:API_ORIGIN}). */
  readonly origin: string;
  /** The environment variable that will hold the key. */
  readonly keyEnv: string;
  readonly expires?: string;
  /** Scopes the key is granted, when known. */
  readonly scopes?: readonly string[];
  readonly allowed: readonly ProposedResource[];
  readonly denied: readonly ProposedResource[];
  /** Where the proposal came from, for the header comment, e.g. "openapi.yaml (Agent Platform API)". */
  readonly source?: string;
  /** The `$schema` path for editors, relative to the profile file. */
  readonly schemaPath?: string;
}

export function renderProfile(a: ProfileAnswers): string {
  const name = `${a.system}-${a.environment}-${a.purpose}`;
  const key: Record<string, unknown> = { name, system: a.system, environment: a.environment, purpose: a.purpose, owner: a.owner };
  if (a.expires) key.expires = a.expires;
  key.secret = `\${env:${a.keyEnv}}`;
  if (a.scopes && a.scopes.length > 0) key.scopes = [...a.scopes];

  const doc = new Document({
    key,
    target: { origin: a.origin },
    allowed: a.allowed.map(allowedEntry),
    ...(a.denied.length > 0 ? { denied: a.denied.map(deniedEntry) } : {}),
  });

  const header = [
    `${name}: written by \`keyprobe init\`${a.source ? ` from ${a.source}` : ''}.`,
    'Trim it to what this key must and must not do, then: keyprobe validate <this file>',
  ];
  if (a.schemaPath) header.unshift(`yaml-language-server: $schema=${a.schemaPath}`);
  doc.commentBefore = header.map((line) => ` ${line}`).join('\n');

  const root = doc.contents as YAMLMap;
  const keyMap = root.get('key', true) as unknown as YAMLMap;
  (keyMap.get('secret', true) as { comment?: string }).comment =
    ` the key itself is read from $${a.keyEnv} at run time, never written here`;
  if (!a.expires)
    (keyMap.items.find((p) => String(p.key) === 'owner')!.value as { comment?: string }).comment =
      ' add `expires: YYYY-MM-DD`: governance checks want an expiry';
  commentResources(root.get('allowed', true), a.allowed, 'What the key must reach (default expectation: any 2xx).');
  commentResources(root.get('denied', true), a.denied, 'What it must be refused (default: 403).');
  return doc.toString({ lineWidth: 0, flowCollectionPadding: true });
}

function allowedEntry(r: ProposedResource): Record<string, unknown> {
  return {
    method: r.method,
    path: r.path,
    ...(r.expect !== undefined ? { expect: r.expect } : {}),
    ...(r.body !== undefined ? { body: r.body } : {}),
    ...(r.scope ? { scope: r.scope } : {}),
  };
}

function deniedEntry(r: ProposedResource): Record<string, unknown> {
  return { method: r.method, path: r.path, ...(r.body !== undefined ? { body: r.body } : {}) };
}

/** One line per resource (flow style), with why it is there and what still needs a person. */
function commentResources(node: unknown, resources: readonly ProposedResource[], title: string): void {
  if (!isSeq(node)) return;
  const seq = node as YAMLSeq;
  seq.commentBefore = ` ${title}`;
  seq.items.forEach((item, i) => {
    const r = resources[i]!;
    if (isMap(item)) item.flow = true;
    const notes: string[] = [];
    if (r.operationId) notes.push(r.operationId);
    if (r.needs && r.needs.length > 0) notes.push(`needs ${r.needs.join(', ')}`);
    if (r.unresolvedParams.length > 0) notes.push(`TODO: replace ${r.unresolvedParams.map((p) => `{${p}}`).join(', ')} with a real id`);
    if (notes.length > 0) (item as { comment?: string }).comment = ` ${notes.join(' · ')}`;
  });
}
