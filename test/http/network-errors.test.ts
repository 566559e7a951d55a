// What keyprobe says when an answer came but undici could not parse it: the
// parser's error code, read back from llhttp's reason (undici 7.30 leaves
// HTTPParserError.code unset), and never "cannot be reached". The whole-run
// behaviour is in test/reliability/hostile-wire.test.ts ("malformed HTTP").
import { describe, expect, it } from 'vitest';
import { classifyNetworkError, describeNetworkError, isMalformedAnswer } from '../../src/http/network-errors.js';

/** An error shaped as undici's HTTPParserError (name, llhttp's reason in the message, code unset). */
function parserError(reason: string, code?: string) {
  return Object.assign(new Error(`Response does not match the HTTP/1.1 protocol (${reason})`), { name: 'HTTPParserError', code });
}

describe('an answer undici could not parse', () => {
  it.each([
    ['Duplicate Content-Length', 'HPE_UNEXPECTED_CONTENT_LENGTH'],
    ["Content-Length can't be present with Transfer-Encoding", 'HPE_UNEXPECTED_CONTENT_LENGTH'],
    ['Invalid character in Content-Length', 'HPE_INVALID_CONTENT_LENGTH'],
    ['Invalid character in chunk size', 'HPE_INVALID_CHUNK_SIZE'],
    ['Missing expected CR after header value', 'HPE_CR_EXPECTED'],
    ['Invalid header value char', 'HPE_INVALID_HEADER_TOKEN'],
    ['Expected HTTP/, RTSP/ or ICE/', 'HPE_INVALID_CONSTANT'],
  ])('"%s" is named %s', (reason, code) => {
    const words = describeNetworkError(parserError(reason), 'http://127.0.0.1:1');
    expect(words).toBe(`the target answered, but not with valid HTTP/1.1: keyprobe could not parse the response (${code}: ${reason})`);
    expect(isMalformedAnswer(parserError(reason))).toBe(true);
  });

  it('keeps a code undici does set, and names a reason it cannot map without inventing one', () => {
    expect(describeNetworkError(parserError('Invalid character in chunk size', 'HPE_X'), 'http://h')).toMatch(/\(HPE_X: Invalid/);
    expect(describeNetworkError(parserError('Span callback error in on_body'), 'http://h')).toMatch(
      /response \(Span callback error in on_body\)$/,
    );
  });

  it("names undici's body-length mismatch, and leaves real network failures as they were", () => {
    const mismatch = Object.assign(new Error('Response body length does not match content-length header'), {
      name: 'ResponseContentLengthMismatchError',
      code: 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
    });
    expect(describeNetworkError(mismatch, 'http://h')).toMatch(/could not parse the response \(UND_ERR_RES_CONTENT_LENGTH_MISMATCH: /);
    expect(isMalformedAnswer(mismatch)).toBe(true);
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(isMalformedAnswer(refused)).toBe(false);
    expect(describeNetworkError(refused, 'http://127.0.0.1:9')).toMatch(/^connection refused by 127\.0\.0\.1:9/);
    // A parse failure is not transient: asking again gets the same answer.
    expect(classifyNetworkError(parserError('Invalid character in chunk size')).transient).toBe(false);
  });
});
