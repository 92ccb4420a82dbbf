/**
 * GitHub Actions' filter patterns for branches, tags and paths. Pure. `*` matches any characters but
 * `/`, `**` any at all (and `**​/` also no directory, so `docs/**​/*.md` matches `docs/a.md`), and a
 * pattern starting with `!` takes back what earlier patterns of the list matched: the last pattern
 * that matches a name decides. Every other character is literal, as branch filters always were here.
 */

/** Whether `name` matches one glob (without `!`). */
export function globMatches(pattern: string, name: string): boolean {
  return globRegExp(pattern).test(name);
}

/** Whether a list of patterns selects `name`: the last pattern matching it decides, a `!` one deselecting it. */
export function filterSelects(patterns: readonly string[], name: string): boolean {
  let selected = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    if (globMatches(negated ? pattern.slice(1) : pattern, name)) selected = !negated;
  }
  return selected;
}

function globRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    if (pattern.startsWith('**/', i)) {
      source += '(?:.*/)?';
      i += 2;
    } else if (pattern.startsWith('**', i)) {
      source += '.*';
      i++;
    } else if (pattern[i] === '*') {
      source += '[^/]*';
    } else {
      // Everything else is literal: names hold ".", "+" and other characters a RegExp would read.
      source += pattern[i]!.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`, 's');
}
