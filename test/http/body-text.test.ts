// A body's text with the characters nobody sees dropped, and nothing else changed.
import { describe, expect, it } from 'vitest';
import { bodyText } from '../../src/http/body-text.js';

describe('bodyText', () => {
  it('keeps text people read as it is: tabs, line breaks, accents, emoji, CJK, right-to-left script', () => {
    const text = '{"error":"forbidden",\n\t"detail":"Grüße 🔑 日本語 שלום"}\r\n';
    expect(bodyText(Buffer.from(text))).toBe(text);
  });

  it('drops control and format characters: NUL, U+0001, DEL, C1, zero-width space and joiner, soft hyphen, bidi controls, BOM', () => {
    const hidden = ['\u0000', '\u0001', '\u007f', '\u0085', '\u200b', '\u200d', '\u00ad', '\u202e', '\ufeff'];
    for (const c of hidden) expect(bodyText(Buffer.from(`k${c}e${c}y`)), JSON.stringify(c)).toBe('key');
  });

  it('reads UTF-16 text of ASCII characters as those characters', () => {
    expect(bodyText(Buffer.from('denied: abc_123', 'utf16le'))).toBe('denied: abc_123');
  });
});
