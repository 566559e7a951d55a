// What a reader sees of a target's text: the characters nobody sees dropped, and nothing else changed.
import { describe, expect, it } from 'vitest';
import { visibleHeaderText, withoutInvisible } from '../../src/http/body-text.js';

describe('withoutInvisible', () => {
  it('keeps text people read as it is: tabs, line breaks, accents, emoji, CJK, right-to-left script', () => {
    const text = '{"error":"forbidden",\n\t"detail":"Grüße 🔑 日本語 שלום"}\r\n';
    expect(withoutInvisible(text)).toBe(text);
  });

  it('drops control and format characters: NUL, U+0001, DEL, C1, zero-width space and joiner, soft hyphen, bidi controls, BOM', () => {
    const hidden = ['\u0000', '\u0001', '\u007f', '\u0085', '\u200b', '\u200d', '\u00ad', '\u202e', '\ufeff'];
    for (const c of hidden) expect(withoutInvisible(`k${c}e${c}y`), JSON.stringify(c)).toBe('key');
  });

  it('reads UTF-16 text of ASCII characters (as UTF-8) as those characters', () => {
    expect(withoutInvisible(Buffer.from('denied: abc_123', 'utf16le').toString('utf8'))).toBe('denied: abc_123');
  });
});

describe('visibleHeaderText', () => {
  const latin1 = (text: string) => Buffer.from(text, 'utf8').toString('latin1');

  it('leaves an ASCII value as it is, tabs included', () => {
    expect(visibleHeaderText('Bearer realm="api", error="invalid_token"\tx')).toBe('Bearer realm="api", error="invalid_token"\tx');
  });

  it('reads UTF-8 bytes (as undici hands them, one Latin-1 character a byte) as UTF-8, invisible characters dropped', () => {
    expect(visibleHeaderText(latin1('k\u200be\u200by'))).toBe('key');
    expect(visibleHeaderText(latin1('filename="Grüße.txt"'))).toBe('filename="Grüße.txt"');
  });

  it('keeps a value that is not UTF-8 as Latin-1', () => {
    expect(visibleHeaderText('caf\u00e9')).toBe('caf\u00e9');
  });
});
