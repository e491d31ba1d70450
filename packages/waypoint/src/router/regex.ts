// RE2 (what Istio and Envoy use) on top of JavaScript RegExp. Istio matches regexes as RE2 *full* matches; JS has a
// different dialect, so each pattern is checked and translated once, at validation:
// - accepted and translated: `(?P<name>` -> `(?<name>`, leading flag groups `(?i)`, `(?s)`, `(?m)` -> RegExp flags,
//   `\A` -> `^`, `\z` -> `$`, `\s`/`\S` -> RE2's ASCII whitespace set `[\t\n\f\r ]` (JS's `\s` also matches Unicode
//   spaces and `\v`);
// - rejected with a validation error (never silently different): backreferences (`\1`), lookaround (`(?=`, `(?!`,
//   `(?<=`, `(?<!`), flag groups other than at the start, `(?U)`, `\Q...\E`, `\C`, `\p`/`\P` Unicode classes,
//   `\x{...}`, POSIX classes `[[:alpha:]]`, repeat counts above 1000, and anything JS cannot compile.
// The result is anchored as `^(?:...)$` so `test()` is a full match, like Envoy's `safe_regex`.

export interface CompiledRegex {
  /** the RE2 source as written */
  readonly source: string;
  /** full-match test */
  readonly re: RegExp;
  /** the same pattern, unanchored, global: for uriRegexRewrite substitutions */
  readonly global: RegExp;
}

export type RegexResult = { ok: true; value: CompiledRegex } | { ok: false; error: string };

const PERL_CLASS_S = '\\t\\n\\f\\r ';

/** Translates one RE2 pattern to a JS RegExp, or says why it cannot be represented exactly. */
export function compileRe2(source: string): RegexResult {
  let flags = '';
  let src = source;
  // leading flag groups: (?i) (?s) (?m) (?is) ...
  const lead = /^\(\?([imsU]+)\)/.exec(src);
  if (lead) {
    const f = lead[1]!;
    if (f.includes('U')) return { ok: false, error: 'the RE2 flag U (ungreedy) has no JavaScript equivalent' };
    for (const c of f) if (!flags.includes(c)) flags += c;
    src = src.slice(lead[0].length);
  }
  let out = '';
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === '\\') {
      const n = src[i + 1];
      if (n === undefined) return { ok: false, error: 'trailing backslash' };
      i++;
      if (n >= '1' && n <= '9') return { ok: false, error: `backreference \\${n} is not supported by RE2` };
      if (n === 'Q' || n === 'E') return { ok: false, error: '\\Q...\\E quoting is not supported (escape the characters instead)' };
      if (n === 'C') return { ok: false, error: '\\C (any byte) is not supported' };
      if (n === 'p' || n === 'P') return { ok: false, error: `Unicode class \\${n} is not supported by this implementation` };
      if (n === 'x' && src[i + 1] === '{') return { ok: false, error: '\\x{...} escapes are not supported by this implementation' };
      if (n === 'z') {
        if (inClass) return { ok: false, error: '\\z inside a character class' };
        out += '$';
        continue;
      }
      if (n === 'A') {
        if (inClass) return { ok: false, error: '\\A inside a character class' };
        out += '^';
        continue;
      }
      if (n === 's') {
        out += inClass ? PERL_CLASS_S : `[${PERL_CLASS_S}]`;
        continue;
      }
      if (n === 'S') {
        if (inClass) return { ok: false, error: '\\S inside a character class is not supported by this implementation' };
        out += `[^${PERL_CLASS_S}]`;
        continue;
      }
      if (n === 'k') return { ok: false, error: 'named backreference \\k is not supported by RE2' };
      out += `\\${n}`;
      continue;
    }
    if (inClass) {
      if (c === '[' && src[i + 1] === ':') return { ok: false, error: 'POSIX character classes ([[:alpha:]]) are not supported by this implementation' };
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      // a leading ']' (or '^]') is a literal in RE2
      if (src[i + 1] === '^') {
        out += '^';
        i++;
      }
      if (src[i + 1] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (c === '(' && src[i + 1] === '?') {
      const rest = src.slice(i + 2);
      if (rest.startsWith('P<')) {
        out += '(?<';
        i += 3;
        continue;
      }
      if (rest.startsWith('=') || rest.startsWith('!')) return { ok: false, error: 'lookahead is not supported by RE2' };
      if (rest.startsWith('<=') || rest.startsWith('<!')) return { ok: false, error: 'lookbehind is not supported by RE2' };
      if (rest.startsWith(':') || rest.startsWith('<')) {
        out += c;
        continue;
      }
      return { ok: false, error: 'inline flag groups are only supported at the start of the pattern' };
    }
    if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(src.slice(i));
      if (m && (Number(m[1]) > 1000 || (m[3] !== undefined && m[3] !== '' && Number(m[3]) > 1000))) {
        return { ok: false, error: 'bad repetition operator: counts above 1000 are rejected by RE2' };
      }
    }
    out += c;
  }
  if (inClass) return { ok: false, error: 'missing closing ]' };
  try {
    const re = new RegExp(`^(?:${out})$`, flags);
    const global = new RegExp(out, `${flags}g`);
    return { ok: true, value: { source, re, global } };
  } catch (e) {
    return { ok: false, error: (e as Error).message.replace(/^Invalid regular expression: /, '') };
  }
}

/** RE2 rewrite templates use `\1`; JavaScript's String.replace uses `$1` (and `$` must be escaped as `$$`). */
export function re2RewriteToJs(rewrite: string): string {
  let out = '';
  for (let i = 0; i < rewrite.length; i++) {
    const c = rewrite[i]!;
    if (c === '$') out += '$$';
    else if (c === '\\' && /[0-9]/.test(rewrite[i + 1] ?? '')) {
      out += `$${rewrite[i + 1]}`;
      i++;
    } else if (c === '\\' && rewrite[i + 1] === '\\') {
      out += '\\';
      i++;
    } else out += c;
  }
  return out;
}
