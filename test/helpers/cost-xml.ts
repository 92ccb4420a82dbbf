/**
 * A strict, small XML parser for the tests of SVG output: elements, quoted attributes, text, the
 * five predefined entities and numeric references, one root, an optional declaration. Anything
 * else (an unclosed or mismatched tag, a bare `&` or `<`, text outside the root) throws.
 */

/** A parsed element. */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const NAME = /^[A-Za-z_][\w.:-]*/;
const ENTITY = /&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);/g;

function decode(text: string, where: number): string {
  const bare = text.replace(ENTITY, '').indexOf('&');
  if (bare >= 0) throw new Error(`bare & near offset ${where}`);
  return text.replace(
    ENTITY,
    (_m, e: string) =>
      (({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }) as Record<string, string>)[e] ??
      String.fromCodePoint(e.startsWith('#x') ? parseInt(e.slice(2), 16) : Number(e.slice(1))),
  );
}

/** Parses a whole document and returns its root element. */
export function parseXml(doc: string): XmlElement {
  let i = 0;
  const skipSpace = () => {
    while (/\s/.test(doc[i] ?? '')) i++;
  };
  if (doc.startsWith('<?xml')) {
    const end = doc.indexOf('?>');
    if (end < 0) throw new Error('unterminated XML declaration');
    i = end + 2;
  }
  skipSpace();
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (i < doc.length) {
    if (doc[i] !== '<') {
      const next = doc.indexOf('<', i);
      const raw = doc.slice(i, next < 0 ? doc.length : next);
      if (stack.length === 0) {
        if (raw.trim() !== '') throw new Error(`text outside the root element at ${i}`);
      } else {
        if (raw.includes('>')) throw new Error(`bare > at ${i}`);
        stack[stack.length - 1]!.text += decode(raw, i);
      }
      i = next < 0 ? doc.length : next;
      continue;
    }
    if (doc.startsWith('</', i)) {
      const m = NAME.exec(doc.slice(i + 2));
      const open = stack.pop();
      if (!m || !open || open.name !== m[0])
        throw new Error(`mismatched closing tag at ${i}: </${m?.[0]}> closes <${open?.name}>`);
      i += 2 + m[0].length;
      skipSpace();
      if (doc[i] !== '>') throw new Error(`malformed closing tag at ${i}`);
      i++;
      continue;
    }
    const m = NAME.exec(doc.slice(i + 1));
    if (!m) throw new Error(`bad tag name at ${i}`);
    if (root && stack.length === 0) throw new Error(`second root element at ${i}`);
    const el: XmlElement = { name: m[0], attributes: {}, children: [], text: '' };
    i += 1 + m[0].length;
    for (;;) {
      skipSpace();
      if (doc.startsWith('/>', i)) {
        i += 2;
        break;
      }
      if (doc[i] === '>') {
        i++;
        stack.push(el);
        break;
      }
      const a = NAME.exec(doc.slice(i));
      if (!a) throw new Error(`bad attribute at ${i}`);
      i += a[0].length;
      const q = /^\s*=\s*(["'])/.exec(doc.slice(i));
      if (!q) throw new Error(`attribute ${a[0]} without a quoted value at ${i}`);
      i += q[0].length;
      const end = doc.indexOf(q[1]!, i);
      if (end < 0) throw new Error(`unterminated attribute ${a[0]}`);
      const value = doc.slice(i, end);
      if (value.includes('<')) throw new Error(`< in attribute ${a[0]}`);
      if (a[0] in el.attributes) throw new Error(`duplicate attribute ${a[0]}`);
      el.attributes[a[0]] = decode(value, i);
      i = end + 1;
    }
    if (stack.length > 0 && stack[stack.length - 1] !== el) stack[stack.length - 1]!.children.push(el);
    else if (stack.length > 1) stack[stack.length - 2]!.children.push(el);
    root ??= el;
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack[stack.length - 1]!.name}>`);
  if (!root) throw new Error('no root element');
  return root;
}

/** Every element below (and including) `el`, depth first. */
export function allElements(el: XmlElement): XmlElement[] {
  return [el, ...el.children.flatMap(allElements)];
}
