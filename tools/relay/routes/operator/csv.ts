// CSV as RFC 4180 §2 writes it: records end in CRLF, a header record first, a field in double quotes
// when it holds a comma, a double quote, CR or LF, and a double quote inside one written twice.
export type CsvField = string | number | undefined;

function field(value: CsvField): string {
  const text = value === undefined ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvText(header: readonly string[], rows: readonly (readonly CsvField[])[]): string {
  return [header, ...rows].map((row) => row.map(field).join(',') + '\r\n').join('');
}
