// Network failures in words a user understands.

export function describeNetworkError(err: unknown, origin: string): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e?.code ?? e?.cause?.code;
  const host = safeHost(origin);
  switch (code) {
    case 'ECONNREFUSED':
      return `connection refused by ${host}: is the target running?`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host ${host} does not resolve (DNS lookup failed)`;
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return `the target closed the connection mid-answer (connection reset)`;
    case 'UND_ERR_HEADERS_TIMEOUT':
      return `the target sent no complete headers in time (headers timeout)`;
    case 'UND_ERR_BODY_TIMEOUT':
      return `the target stopped sending the body (body timeout)`;
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return `could not connect to ${host} in time`;
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
      return `the TLS certificate of ${host} is not trusted (${code}); pass its CA with --ca <file> or target.ca`;
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `the TLS certificate of ${host} does not name this host`;
    case 'CERT_HAS_EXPIRED':
      return `the TLS certificate of ${host} has expired`;
    case 'UND_ERR_INFO':
    case 'HPE_INVALID_CONSTANT':
    case 'HPE_INVALID_VERSION':
    case 'HPE_INVALID_HEADER_TOKEN':
      return `the target did not answer with valid HTTP`;
    default: {
      const msg = e?.cause?.message ?? e?.message ?? String(err);
      return `request failed: ${msg}`;
    }
  }
}

function safeHost(origin: string): string {
  try {
    return new URL(origin).host;
  } catch {
    return origin;
  }
}
