// `keyprobe init --from-openapi`: the allowed and denied resources of a new
// profile, chosen from an OpenAPI document by the scopes the key is granted
// or by method and path patterns, asking for them when the flags did not say.
import { UsageError } from '../errors.js';
import {
  availableScopes,
  declaresSecurity,
  operations,
  proposeResources,
  scopeUsage,
  type OpenApiDocument,
  type ProposedResource,
} from './openapi.js';
import type { Asker } from './prompt.js';
import { parsePattern, patternProblem, proposeByPatterns } from './select.js';

/** Where the questions' context (operation lists, what was left out) is printed. */
export interface Output {
  write(text: string): unknown;
}

export interface OpenApiChoice {
  /** --scopes */
  readonly scopes?: string[];
  /** --allow / --deny: patterns of the document's operations. */
  readonly allow?: string[];
  readonly deny?: string[];
  /** The document's file, as the person named it, for messages. */
  readonly file: string;
}

/**
 * Allowed and denied resources from an OpenAPI document: by the scopes the
 * key is granted, where the document names scopes; by method and path
 * patterns (`GET /items/agents*`), where it names none or the person prefers.
 */
export async function fromOpenApi(
  api: OpenApiDocument,
  opts: OpenApiChoice,
  asker: Asker | undefined,
  out: Output,
  notes: string[],
): Promise<{ allowed: ProposedResource[]; denied: ProposedResource[]; granted?: string[] }> {
  if (!declaresSecurity(api)) notes.push('the document declares no security at all; every operation is taken to need the key');
  else {
    const unstated = operations(api).filter((op) => op.securityUnstated).length;
    if (unstated > 0)
      notes.push(
        `${unstated} operation(s) of the document state no security (neither their own nor a document-wide one); they are taken to need the key, so check the public ones among them (a health check, a login) before proposing them as denied`,
      );
  }
  let granted = opts.scopes;
  let allow = opts.allow;
  let deny = opts.deny;
  if (!granted && !allow) {
    const scopes = availableScopes(api);
    if (scopes.length > 0) {
      const chosen = await askScopes(asker!, out, api, scopes);
      if (chosen.length > 0) granted = chosen;
    }
    if (!granted) {
      const ops = operations(api).filter((op) => !op.isPublic);
      out.write(
        `${api.title} has ${ops.length} operation(s) that need a key, e.g.:\n${ops
          .slice(0, 8)
          .map((op) => `  ${op.method} ${op.path}`)
          .join('\n')}\n`,
      );
      allow = splitList(
        await asker!.ask('Operations the key must be allowed to call: "METHOD /path" patterns, * for any characters, comma-separated', {
          check: patternListProblem(true),
        }),
      );
      deny = splitList(
        await asker!.ask('Operations it must be refused (empty: every other operation that needs a key)', {
          check: patternListProblem(false),
        }),
      );
    }
  }

  if (granted && !allow && !deny) {
    const proposal = proposeResources(api, granted);
    if (proposal.allowed.length === 0)
      throw new UsageError(
        `no operation in ${opts.file} can be called with ${granted.join(', ')}; a profile needs at least one allowed resource`,
      );
    leftOut(out, proposal.publicOperations);
    return { allowed: proposal.allowed, denied: proposal.denied, granted };
  }

  const proposal = proposeByPatterns(api, (allow ?? []).map(parsePattern), (deny ?? []).map(parsePattern), granted ?? []);
  const problems: string[] = [];
  for (const p of proposal.unmatched) problems.push(`"${p}" matches no operation of ${opts.file} that needs a key${hint(api, p)}`);
  for (const c of proposal.conflicts) problems.push(`${c} is matched by both --allow and --deny`);
  if (problems.length > 0) throw new UsageError(problems.join('\n  '));
  if (proposal.allowed.length === 0)
    throw new UsageError(`nothing in ${opts.file} was chosen as allowed; a profile needs at least one allowed resource`);
  leftOut(out, proposal.publicOperations);
  if (proposal.authOptional.length > 0) {
    const some =
      proposal.authOptional.length > 3
        ? `${proposal.authOptional.slice(0, 3).join(', ')} and ${proposal.authOptional.length - 3} more`
        : proposal.authOptional.join(', ');
    notes.push(
      `the document makes the key optional ({} among its security requirements) on ${proposal.authOptional.length} allowed operation(s): ${some}; if the platform really serves them without a key, auth.missing-key-rejected fails`,
    );
  }
  return { allowed: proposal.allowed, denied: proposal.denied, ...(granted ? { granted } : {}) };
}

function leftOut(out: Output, publicOperations: readonly string[]): void {
  if (publicOperations.length > 0)
    out.write(`Left out ${publicOperations.length} public operation(s) (no security): ${publicOperations.join(', ')}\n`);
}

/** "; nearest: POST /collections/{collection_name}/points/query, …": the operations sharing the most leading path segments. */
function hint(api: OpenApiDocument, pattern: string): string {
  const p = parsePattern(pattern);
  const wanted = p.path.split('/');
  // A document parameter ({collection_name}) matches any segment of the pattern.
  const shared = (path: string) => {
    const segments = path.split('/');
    let n = 0;
    while (n < segments.length && n < wanted.length && (segments[n] === wanted[n] || /^\{[^}]+\}$/.test(segments[n]!))) n++;
    return n;
  };
  const nearest = operations(api)
    .filter((op) => !op.isPublic && (p.method === '*' || op.method === p.method))
    .map((op) => ({ op, score: shared(op.path) }))
    .filter((c) => c.score > 1)
    .sort((a, b) => b.score - a.score)
    .slice(0, 3)
    .map((c) => `${c.op.method} ${c.op.path}`);
  return nearest.length > 0 ? `; nearest: ${nearest.join(', ')}` : '';
}

async function askScopes(asker: Asker, out: Output, api: OpenApiDocument, scopes: readonly string[]): Promise<string[]> {
  const usage = scopeUsage(api);
  out.write(`Scopes in ${api.title}:\n${scopes.map((s) => `  ${s} (${usage.get(s) ?? 0} operation(s))`).join('\n')}\n`);
  const answer = await asker.ask('Scopes granted to this key, comma-separated (empty: choose operations by method and path)', {
    check: (v) => {
      const unknown = splitList(v).filter((s) => !scopes.includes(s));
      return unknown.length > 0 ? `not in the document: ${unknown.join(', ')}` : undefined;
    },
  });
  return splitList(answer);
}

function patternListProblem(required: boolean): (answer: string) => string | undefined {
  return (v) => {
    const list = splitList(v);
    if (required && list.length === 0) return 'name at least one operation, e.g. GET /items/agents*';
    return list.map(patternProblem).find(Boolean);
  };
}

function splitList(v: string): string[] {
  return v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
