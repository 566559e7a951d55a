// The shapes of an HTTP request a profile declares (method, status, headers,
// the "METHOD /path" shorthand) and of a secret field, shared by the profile
// schema and the lifecycle adapters' own schemas. They live below both, so the
// adapters (which the profile schema is built from) never import src/config.
import { z } from 'zod';

/**
 * A secret field. In the file it must be a reference (checked on the raw
 * document by the loader, see literalSecretProblems); here it holds the
 * resolved value.
 */
export const secretRef = z
  .string()
  .min(1, 'the secret is empty')
  .meta({
    description:
      "The secret, only as a reference: ${env:NAME} (an environment variable) or ${file:path} (a file in the profile's folder or a --secrets-dir). Never written into the profile.",
    examples: ['${env:CRM_PROD_KEY}', '${file:secrets/crm-prod.key}'],
  });

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
export const method = z
  .string()
  .transform((m) => m.toUpperCase())
  .pipe(z.enum(HTTP_METHODS, { message: `method must be one of ${HTTP_METHODS.join(', ')}` }))
  .meta({ description: `The HTTP method, in any case: ${HTTP_METHODS.join(', ')}.`, examples: ['GET', 'POST'] });

export const status = z.number().int().min(100).max(599);
export const statusList = z.array(status).min(1);

/** "GET /v1/agents" — the short form of a resource. */
const RESOURCE_SHORTHAND = /^([A-Za-z]+)\s+(\/\S*)$/;

export function shorthand<T extends z.ZodType<unknown, { method: string; path: string }>>(objectSchema: T) {
  return z.union([
    z
      .string()
      .regex(RESOURCE_SHORTHAND, 'expected "METHOD /path", e.g. "GET /v1/agents"')
      .transform((s) => {
        const [, m = '', p = ''] = RESOURCE_SHORTHAND.exec(s)!;
        return { method: m, path: p };
      })
      .pipe(objectSchema),
    objectSchema,
  ]);
}

/** RFC 9110 §5.6.2: the characters a header name may hold. */
const HEADER_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** RFC 9110 §7.6.1: connection-specific headers, the HTTP client's to send. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/**
 * Why a profile may not set this header, or undefined. Host would steer the
 * request (and the key) to another site behind the same address; framing and
 * connection headers belong to the client, and a wrong one desynchronises the
 * connection.
 */
function headerNameProblem(name: string): string | undefined {
  if (!HEADER_TOKEN.test(name)) return `"${name}" is not a valid header name (letters, digits and !#$%&'*+-.^_\`|~ only)`;
  const lower = name.toLowerCase();
  if (lower === 'host')
    return `"${name}" cannot be set by a profile: keyprobe sends the Host of target.origin, and another Host would steer the request (and the key) to another site`;
  if (lower === 'content-length') return `"${name}" cannot be set by a profile: the HTTP client computes it from the body`;
  if (lower.startsWith('proxy-')) return `"${name}" is meant for a proxy on the way, not the target; a profile cannot set it`;
  if (HOP_BY_HOP.has(lower)) return `"${name}" is a hop-by-hop header the HTTP client manages; a profile cannot set it`;
  return undefined;
}

/** A credential header name (target.auth.header, lifecycle.http.credential.header). */
export const headerName = z
  .string()
  .min(1)
  .superRefine((name, ctx) => {
    const problem = headerNameProblem(name);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/** Request headers a profile adds; the ones it cannot set are refused by name. */
export const headers = z
  .record(z.string(), z.string())
  .meta({
    description:
      'Extra request headers, name: value, sent with this request only. Host, Content-Length, Proxy-* and hop-by-hop headers cannot be set (the HTTP client owns them). A value may hold ${env:…}; it is then treated as a secret.',
    examples: [{ Accept: 'application/json', 'X-Tenant': 'acme' }],
  })
  .superRefine((map, ctx) => {
    for (const [name, value] of Object.entries(map)) {
      const problem = headerNameProblem(name);
      if (problem) ctx.addIssue({ code: 'custom', path: [name], message: problem });
      else if (/[\r\n\0]/.test(value))
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `the value of "${name}" contains a line break or NUL; a header value is one line`,
        });
    }
  });
