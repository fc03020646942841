/**
 * Control characters in text from outside (file names, archive entries, form fields): found and replaced in one
 * place. C0 controls and DEL count; with `allowLayout`, tab, line feed and carriage return are allowed.
 */
export function hasControlCharacters(text: string, allowLayout = false): boolean {
  for (let i = 0; i < text.length; i++) if (isControl(text.charCodeAt(i), allowLayout)) return true;
  return false;
}

export function replaceControlCharacters(text: string, replacement = '?'): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out += isControl(c, false) ? replacement : text[i];
  }
  return out;
}

function isControl(code: number, allowLayout: boolean): boolean {
  if (allowLayout && (code === 9 || code === 10 || code === 13)) return false;
  return code < 0x20 || code === 0x7f;
}
