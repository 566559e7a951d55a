// Text a target, a profile or a results file controls reaches the terminal
// through the console reporter and error messages. A terminal obeys control
// characters in it: an escape sequence can erase a FAIL line and print a fake
// PASS, a carriage return can overwrite a line, a bidi override can make text
// read backwards. Every such character is shown as a visible escape instead,
// so what is printed is exactly what was there.

/**
 * C0 controls (line breaks included: a value is shown on its one line), DEL,
 * C1 controls (8-bit CSI among them), and the Unicode bidi controls and marks.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** One line of untrusted text, safe to print: tabs become spaces, other controls `\xNN` / `\uNNNN`. */
export function forTerminal(text: string): string {
  return text.replace(UNSAFE, (c) => {
    if (c === '\t') return ' ';
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
