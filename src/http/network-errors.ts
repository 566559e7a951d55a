// Network failures in words a user understands.

export function describeNetworkError(err: unknown, origin: string): string {
  const e = err as NetworkError;
  const code = errorCode(e);
  const host = safeHost(origin);
  const malformed = malformedWords(e);
  if (malformed) return malformed;
  switch (code) {
    case 'ECONNREFUSED':
      return `connection refused by ${host}: nothing is listening there (is the target running, and is target.origin right?)`;
    case 'ENOTFOUND':
      return `the host name in ${origin} does not resolve (DNS lookup found no such host): check target.origin`;
    case 'EAI_AGAIN':
      return `the host name in ${origin} could not be resolved right now (DNS lookup failed temporarily)`;
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
    case 'EPIPE':
      return `the target closed the connection before its answer was complete (connection reset)`;
    case 'UND_ERR_HEADERS_TIMEOUT':
      return `the target sent no complete headers in time (headers timeout)`;
    case 'UND_ERR_BODY_TIMEOUT':
      return `the target stopped sending the body (body timeout)`;
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return `could not connect to ${host} in time`;
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
      return `the TLS certificate of ${host} is self-signed and not trusted (${code}): pass the CA certificate that signed it with --ca <file> or target.ca`;
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
      return `the TLS certificate of ${host} was signed by an unknown certificate authority (${code}): pass that CA certificate with --ca <file> or target.ca`;
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `the TLS certificate of ${host} does not name this host`;
    case 'CERT_HAS_EXPIRED':
      return `the TLS certificate of ${host} has expired`;
    case 'UND_ERR_INFO':
      return `the target did not answer with valid HTTP (${code})`;
    case 'EPROTO':
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
      return `the TLS handshake with ${host} failed (${code}): does the target speak https on this port?`;
    default: {
      const msg = e?.cause?.message ?? e?.message ?? String(err);
      return `request failed: ${msg}`;
    }
  }
}

/**
 * An answer came, but undici could not parse it as HTTP/1.1: a Content-Length
 * sent twice, a bad chunk size, a status line that is not one. The target was
 * reached and did answer, so this says what undici said was wrong, with the
 * parser's error code, never "cannot be reached". undici 7.30 leaves the
 * llhttp code unset (it looks the number up in a name → number table), so the
 * code is read back from llhttp's reason where it is unambiguous.
 */
function malformedWords(e: NetworkError | undefined): string | undefined {
  const parsed = 'the target answered, but not with valid HTTP/1.1: keyprobe could not parse the response';
  if (e?.name === 'HTTPParserError' || e?.code?.startsWith('HPE_')) {
    const reason = /\((.*)\)$/.exec(e.message ?? '')?.[1] ?? e.message ?? 'unparsable response';
    const code = e.code ?? parserCode(reason);
    return `${parsed} (${code ? `${code}: ` : ''}${reason})`;
  }
  // undici checks the body's length before it reports llhttp's error: a Content-Length sent twice with two
  // values (llhttp's HPE_UNEXPECTED_CONTENT_LENGTH) comes back as this.
  if (errorCode(e) === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH')
    return `${parsed} (UND_ERR_RES_CONTENT_LENGTH_MISMATCH: its body's length does not match its Content-Length, which a body cut short, a Content-Length sent twice or one beside Transfer-Encoding gives)`;
  return undefined;
}

/** llhttp's reasons (its source, llhttp/src/llhttp/http.ts) and the error codes they come with. */
const PARSER_CODES: readonly [RegExp, string][] = [
  [/^Duplicate Content-Length$|Content-Length can't be present|can't be present with Content-Length/, 'HPE_UNEXPECTED_CONTENT_LENGTH'],
  [/Content-Length/, 'HPE_INVALID_CONTENT_LENGTH'],
  [/^Missing expected CR/, 'HPE_CR_EXPECTED'],
  [/^Missing expected LF|^Expected LF after/, 'HPE_LF_EXPECTED'],
  [/^Invalid character in chunk size$|^Chunk size overflow$/, 'HPE_INVALID_CHUNK_SIZE'],
  [/^Invalid `Transfer-Encoding` header value$/, 'HPE_INVALID_TRANSFER_ENCODING'],
  [/^Invalid (HTTP|major|minor) version$|^Expected dot$/, 'HPE_INVALID_VERSION'],
  [/^Invalid (response )?status( code)?$/, 'HPE_INVALID_STATUS'],
  [/^Invalid header (value|field) char$|^Invalid header token$/, 'HPE_INVALID_HEADER_TOKEN'],
  [/^Expected HTTP\//, 'HPE_INVALID_CONSTANT'],
  [/^Invalid EOF state$/, 'HPE_INVALID_EOF_STATE'],
];

function parserCode(reason: string): string | undefined {
  return PARSER_CODES.find(([pattern]) => pattern.test(reason))?.[1];
}

/** Whether the target answered with something undici could not parse (malformedWords): reached, but nothing to judge. */
export function isMalformedAnswer(err: unknown): boolean {
  return malformedWords(err as NetworkError) !== undefined;
}

/** Failures of the connection itself: nothing of the request was sent. */
const BEFORE_SENDING = new Set(['ECONNREFUSED', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);
/** Failures that may pass on their own (a reset, a timeout), as opposed to a wrong origin, certificate or protocol. */
const TRANSIENT = new Set([
  ...BEFORE_SENDING,
  'ECONNRESET',
  'UND_ERR_SOCKET',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/** Whether another try may help, and whether the failed request may have reached the target. */
export function classifyNetworkError(err: unknown): { transient: boolean; mayHaveArrived: boolean } {
  const code = errorCode(err as NetworkError);
  return { transient: code !== undefined && TRANSIENT.has(code), mayHaveArrived: code === undefined || !BEFORE_SENDING.has(code) };
}

interface NetworkError {
  name?: string;
  code?: string;
  message?: string;
  cause?: NetworkError;
  /** Node's connection attempts to several addresses fail as one AggregateError. */
  errors?: NetworkError[];
}

/** The first error code found on the error, its cause chain, or its aggregated attempts. */
function errorCode(e: NetworkError | undefined, depth = 0): string | undefined {
  if (!e || depth > 5) return undefined;
  return e.code ?? errorCode(e.cause, depth + 1) ?? e.errors?.map((x) => errorCode(x, depth + 1)).find(Boolean);
}

function safeHost(origin: string): string {
  try {
    return new URL(origin).host;
  } catch {
    return origin;
  }
}
