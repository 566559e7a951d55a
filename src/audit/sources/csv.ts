// A small RFC 4180 CSV reader: comma-separated fields, double-quoted fields
// that may hold commas, newlines and doubled quotes (""), CRLF or LF line
// ends, a leading BOM ignored. Each record keeps the line it starts on, so a
// bad row can be reported as file:line.

export interface CsvRecord {
  /** Line (1-based) where the record starts; a quoted field may span several. */
  readonly line: number;
  readonly fields: string[];
  /** Set when the record is malformed (a stray or unterminated quote); the fields are then unreliable. */
  readonly error?: string;
}

export function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  const n = text.length;

  while (i < n) {
    const startLine = line;
    const fields: string[] = [];
    let error: string | undefined;
    // One record: fields until an unquoted line end or the end of the text.
    for (;;) {
      let value = '';
      if (text[i] === '"') {
        i++;
        let closed = false;
        while (i < n) {
          const quote = text.indexOf('"', i);
          const end = quote < 0 ? n : quote;
          const chunk = text.slice(i, end);
          for (let j = chunk.indexOf('\n'); j >= 0; j = chunk.indexOf('\n', j + 1)) line++;
          value += chunk;
          i = end;
          if (quote < 0) break;
          if (text[i + 1] === '"') {
            value += '"';
            i += 2;
          } else {
            i++;
            closed = true;
            break;
          }
        }
        if (!closed) {
          error ??= 'a quoted field is not closed (missing ")';
          fields.push(value);
          i = n;
          break;
        }
        // After the closing quote only a separator or a line end may follow.
        if (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
          error ??= `unexpected text after a closing quote in field ${fields.length + 1}`;
          while (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') value += text[i++];
        }
      } else {
        let j = i;
        while (j < n) {
          const c = text.charCodeAt(j);
          if (c === 44 /* , */ || c === 10 /* \n */ || c === 13 /* \r */) break;
          j++;
        }
        value = text.slice(i, j);
        if (value.includes('"'))
          error ??= `a quote inside unquoted field ${fields.length + 1} (quote the whole field and double the quote: "")`;
        i = j;
      }
      fields.push(value);
      if (i >= n) break;
      if (text[i] === ',') {
        i++;
        continue;
      }
      // Line end: \r\n, \n or a lone \r.
      if (text[i] === '\r' && text[i + 1] === '\n') i += 2;
      else i++;
      line++;
      break;
    }
    // A blank line is not a record.
    if (fields.length === 1 && fields[0] === '' && !error) continue;
    records.push(error ? { line: startLine, fields, error } : { line: startLine, fields });
  }
  return records;
}
