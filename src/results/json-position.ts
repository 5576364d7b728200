/**
 * Where a JSON text stops parsing, as line:col a person can jump to. JSON.parse reports it only in its message,
 * and V8 words it differently across versions: Node 20 says "… in JSON at position 7", Node 22 adds
 * "(line 1 column 8)", and both say "Unexpected token 'x', "…" is not valid JSON" or "Unexpected end of JSON
 * input" with no position at all. For those, `scanJsonError` finds the offset itself.
 */

/** 1-based line and column; columns count UTF-16 code units, as V8's positions do. */
export interface TextPosition {
  line: number;
  col: number;
}

/** Line and column of `offset` (0-based) in `text`; an offset past the end is the position after the last character. */
export function positionAt(text: string, offset: number): TextPosition {
  const end = Math.max(0, Math.min(offset, text.length));
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, col: end - lineStart + 1 };
}

/** The 0-based offset of a 1-based line and column (clamped to the text). */
export function offsetAt(text: string, line: number, col: number): number {
  let start = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf('\n', start);
    if (nl === -1) return text.length;
    start = nl + 1;
  }
  return Math.min(text.length, start + Math.max(0, col - 1));
}

export interface JsonSyntaxError {
  /** 0-based offset of the offending character (text.length when the text ended too early). */
  offset: number;
  line: number;
  col: number;
  /** V8's description without its position and source excerpt, e.g. `Unexpected token '}'`. */
  reason: string;
}

const LINE_COL_RE = /\s*\(line (\d+) column (\d+)\)/;
const POSITION_RE = /\s*(?:in JSON )?at position (\d+)/;
const EXCERPT_RE = /, (?:\.\.\.)?".*" ?(?:\.\.\.)? is not valid JSON$/s;

/** The offset V8 reports in a JSON.parse message, or undefined when the message carries none. */
export function offsetFromMessage(message: string, text: string): number | undefined {
  const lc = LINE_COL_RE.exec(message);
  if (lc) return offsetAt(text, Number(lc[1]), Number(lc[2]));
  const pos = POSITION_RE.exec(message);
  if (pos) return Number(pos[1]);
  if (/Unexpected end of JSON input/.test(message)) return text.length;
  return undefined;
}

/** V8's reason without position or excerpt: "Unexpected token '}', "{"a": }" is not valid JSON" → "Unexpected token '}'". */
export function reasonFromMessage(message: string): string {
  return message.replace(LINE_COL_RE, '').replace(POSITION_RE, '').replace(EXCERPT_RE, '').replace(/ in JSON$/, '').trim();
}

/** Locates the error JSON.parse threw for `text`: from its message when it says where, else by scanning. */
export function locateJsonError(text: string, err: unknown): JsonSyntaxError {
  const message = err instanceof Error ? err.message : String(err);
  const offset = offsetFromMessage(message, text) ?? scanJsonError(text) ?? text.length;
  return { offset, ...positionAt(text, offset), reason: reasonFromMessage(message) || 'not valid JSON' };
}

/**
 * Offset of the first syntax error in `text`, or undefined when it is valid JSON. A small recursive-descent
 * scanner: only used when V8's message has no position, so it favours brevity over speed.
 */
export function scanJsonError(text: string): number | undefined {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const literal = (word: string): void => {
    for (const ch of word) {
      if (text[i] !== ch) fail();
      i++;
    }
  };
  const digits = (): void => {
    if (!/[0-9]/.test(text[i] ?? '')) fail();
    while (/[0-9]/.test(text[i] ?? '')) i++;
  };
  const number = (): void => {
    if (text[i] === '-') i++;
    if (text[i] === '0') i++;
    else digits();
    if (text[i] === '.') {
      i++;
      digits();
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      digits();
    }
  };
  const string = (): void => {
    i++; // opening quote
    for (;;) {
      const ch = text[i];
      if (ch === undefined || ch < ' ') fail();
      if (ch === '"') return void i++;
      if (ch === '\\') {
        i++;
        if (text[i] === 'u') {
          for (let k = 0; k < 4; k++) {
            i++;
            if (!/[0-9a-fA-F]/.test(text[i] ?? '')) fail();
          }
        } else if (!'"\\/bfnrt'.includes(text[i] ?? 'x')) fail();
      }
      i++;
    }
  };
  const items = (close: string, item: () => void): void => {
    i++; // opening bracket
    ws();
    if (text[i] === close) return void i++;
    for (;;) {
      item();
      ws();
      if (text[i] === close) return void i++;
      if (text[i] !== ',') fail();
      i++;
      ws();
    }
  };
  const value = (): void => {
    ws();
    const ch = text[i];
    if (ch === '{') {
      items('}', () => {
        if (text[i] !== '"') fail();
        string();
        ws();
        if (text[i] !== ':') fail();
        i++;
        value();
      });
    } else if (ch === '[') items(']', value);
    else if (ch === '"') string();
    else if (ch === 't') literal('true');
    else if (ch === 'f') literal('false');
    else if (ch === 'n') literal('null');
    else if (ch === '-' || /[0-9]/.test(ch ?? '')) number();
    else fail();
  };
  try {
    value();
    ws();
    return i < text.length ? i : undefined;
  } catch (at) {
    // Anything but an offset (a stack overflow on absurd nesting) means: cannot tell where.
    return typeof at === 'number' ? at : undefined;
  }
}
