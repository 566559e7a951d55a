// Headers whose names say they carry a credential are never shown as they
// are in evidence or curl lines, whatever their value's source: a literal
// token in a profile, a cookie a target set, a credential keyprobe was never
// told about. A known secret keeps its redaction tag (the reader learns which
// key was sent); anything else is withheld.

/** authorization, cookie, x-api-key, *-token, *-secret, *-key, *-password, … */
const CREDENTIAL_HEADER =
  /^(authorization|proxy-authorization|cookie|set-cookie|set-cookie2|apikey|api-key|x-api-key|x-auth|auth)$|[-_](token|secret|key|apikey|password|passwd|credential|credentials|signature|session|sessionid|auth|authorization)$/i;

export function isCredentialHeader(name: string): boolean {
  return CREDENTIAL_HEADER.test(name);
}

/** Authentication schemes that say how, not what: kept in front of the withheld credential. */
const SCHEME = /^(bearer|basic|token|digest|apikey|api-key|key|dpop|negotiate|ntlm|hoba|mutual|aws4-hmac-sha256|hmac|signature)\s+/i;
const TAG = /^\[[^\]\s]+ sha256:[0-9a-f]{8}\]$/;

/** The value as evidence may show it: `Bearer [key sha256:1a2b3c4d]`, or `Bearer [withheld]` for a credential keyprobe does not know. */
export function maskCredential(value: string, redact: (text: string) => string): string {
  const scheme = SCHEME.exec(value)?.[0] ?? '';
  const credential = value.slice(scheme.length);
  // An empty credential hides nothing, and is what some probes send on purpose.
  if (credential.trim() === '') return value;
  const shown = redact(credential).trim();
  return `${scheme}${TAG.test(shown) ? shown : '[withheld]'}`;
}

/** One header's value for evidence: credential-like names masked, every other value redacted. */
export function evidenceHeaderValue(name: string, value: string, redact: (text: string) => string): string {
  return isCredentialHeader(name) ? maskCredential(value, redact) : redact(value);
}
