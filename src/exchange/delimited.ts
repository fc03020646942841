/**
 * Delimited text rows (CSV with commas, ICSE exports with semicolons): one splitter for every format that reads them.
 * Fields may be double-quoted (RFC 4180), with `""` for a quote inside; returns null when quotes are unbalanced.
 */
export function splitDelimited(text: string, separator: ',' | ';'): string[] | null {
  if (text.indexOf('"') < 0) return text.split(separator);
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === separator) {
      out.push(field);
      field = '';
    } else field += ch;
  }
  if (quoted) return null;
  out.push(field);
  return out;
}
