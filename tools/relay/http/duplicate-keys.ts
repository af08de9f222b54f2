// JSON (RFC 8259 §4) only says member names SHOULD be unique, and JSON.parse keeps the last of
// duplicates silently. A signed request whose body says `"amountMinor": 1, "amountMinor": 900`
// reads one way to a reviewer and another to the relay, so the relay refuses any duplicate name.
// The scan is jsonc-parser's visitor over text JSON.parse has already accepted.
import { visit } from 'jsonc-parser';

/** The path (`limit.mode`, `records[2].x`) of the first member name repeated in its object, if any. */
export function firstDuplicateKey(text: string): string | undefined {
  const open: Set<string>[] = [];
  let found: string | undefined;
  visit(text, {
    onObjectBegin: () => {
      open.push(new Set());
    },
    onObjectEnd: () => {
      open.pop();
    },
    onObjectProperty: (name, _offset, _length, _line, _character, pathOf) => {
      const names = open.at(-1)!;
      if (found === undefined && names.has(name)) found = [...pathOf(), name].map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? part : `.${part}`)).join('');
      names.add(name);
    },
  });
  return found;
}
