// Quoting for the restore lines keyprobe prints for a person to paste into a
// POSIX shell (restore.ts): nothing inside single quotes expands.

/** Single-quoted for a POSIX shell: nothing inside expands. */
export function sq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Escaped for the inside of double quotes, so only the variable appended after it expands. */
export function dq(s: string): string {
  return s.replace(/(["\\`$])/g, '\\$1');
}
