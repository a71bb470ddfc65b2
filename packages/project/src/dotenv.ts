/** A line of a `.env` file that could not be read; it is skipped. */
export interface DotenvProblem {
  /** 1-based line number where the entry starts. */
  line: number;
  message: string;
}

/** What {@link parseDotenv} found: the values, and the lines it skipped. */
export interface Dotenv {
  values: Record<string, string>;
  problems: DotenvProblem[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ESCAPES: Record<string, string> = { n: "\n", r: "\r", t: "\t", '"': '"', "\\": "\\" };

/** Index of the closing quote in `s`, honouring backslash escapes in double quotes; -1 if none. */
function closingQuote(s: string, quote: string): number {
  for (let i = 0; i < s.length; i++) {
    if (quote === '"' && s[i] === "\\") i++;
    else if (s[i] === quote) return i;
  }
  return -1;
}

const unescapeDouble = (s: string) => s.replace(/\\(.)/gs, (m, c: string) => ESCAPES[c] ?? m);

/**
 * Parses a `.env` file: `NAME=value` lines, an optional `export ` prefix, `#` comments (whole
 * lines, or after whitespace in an unquoted value), single quotes (literal) and double quotes
 * (escapes `\n`, `\r`, `\t`, `\"`, `\\`); quoted values may span lines. A later line wins over an
 * earlier one. Bad lines are reported in `problems` and skipped, never thrown.
 *
 * @example
 * parseDotenv('A=1 # note\nexport B="two\\nlines"\n1X=bad');
 * // { values: { A: "1", B: "two\nlines" },
 * //   problems: [{ line: 3, message: 'Invalid variable name: "1X"' }] }
 */
export function parseDotenv(text: string): Dotenv {
  const values: Record<string, string> = {};
  const problems: DotenvProblem[] = [];
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    const raw = (lines[i] ?? "").trimStart();
    if (raw.trim() === "" || raw.startsWith("#")) continue;
    const body = raw.replace(/^export\s+/, "");
    const eq = body.indexOf("=");
    if (eq < 0) {
      problems.push({ line, message: `Expected NAME=value: ${JSON.stringify(raw.trim())}` });
      continue;
    }
    const name = body.slice(0, eq).trim();
    const rest = body.slice(eq + 1).trimStart();
    const quote = rest[0];
    let value: string;
    if (quote === '"' || quote === "'") {
      let inner = rest.slice(1);
      let end = closingQuote(inner, quote);
      while (end < 0 && i + 1 < lines.length) {
        i++;
        inner += `\n${lines[i] ?? ""}`;
        end = closingQuote(inner, quote);
      }
      if (end < 0) {
        problems.push({ line, message: `Unterminated ${quote} quote in the value of ${name}` });
        continue;
      }
      const after = inner.slice(end + 1).trim();
      if (after !== "" && !after.startsWith("#")) {
        problems.push({
          line,
          message: `Unexpected text after the closing quote of ${name}: ${JSON.stringify(after)}`,
        });
        continue;
      }
      const content = inner.slice(0, end);
      value = quote === '"' ? unescapeDouble(content) : content;
    } else {
      value = rest.replace(/(^|\s)#.*$/, "").trim();
    }
    if (!NAME.test(name)) {
      problems.push({ line, message: `Invalid variable name: ${JSON.stringify(name)}` });
      continue;
    }
    values[name] = value;
  }
  return { values, problems };
}
