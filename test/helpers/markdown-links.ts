/**
 * Checks the relative links of Markdown pages: each must name a file or folder that exists, and a
 * `#anchor` must name a heading of the page it points at, as GitHub renders it.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';

/** One link found in a page, with the line it is on (1-based). */
export interface MarkdownLink {
  target: string;
  line: number;
}

/** The anchor GitHub gives a heading: lowercase, punctuation dropped (but `-` and `_`), each space a dash. */
export function githubSlug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // a link in a heading contributes its text
    .replace(/<[^>]+>/g, '')
    .replace(/[`*~]/g, '');
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/**
 * The page with fenced code blocks and inline code spans blanked out, line count unchanged, so
 * that neither a `#` comment in a shell sample nor a `[x](y)` inside backticks is read as Markdown.
 */
function proseOnly(markdown: string): string[] {
  let fence: string | undefined;
  return markdown.split('\n').map((line) => {
    const opener = /^\s{0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence === undefined && opener) {
      fence = opener;
      return '';
    }
    if (fence !== undefined) {
      if (line.trim().startsWith(fence)) fence = undefined;
      return '';
    }
    // A code span may hold brackets; keep its length (for nothing) but none of its characters.
    return line.replace(/(`+)(.+?)\1/g, (span) => ' '.repeat(span.length));
  });
}

/** The anchors a page offers: one per heading (duplicates numbered `-1`, `-2`, … as GitHub does), and HTML ids. */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fence: string | undefined;
  for (const line of markdown.split('\n')) {
    const opener = /^\s{0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence === undefined && opener) fence = opener;
    else if (fence !== undefined && line.trim().startsWith(fence)) fence = undefined;
    if (fence !== undefined || opener) continue;
    const heading = /^\s{0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line)?.[1];
    if (heading !== undefined) {
      const slug = githubSlug(heading);
      const count = seen.get(slug) ?? 0;
      seen.set(slug, count + 1);
      anchors.add(count === 0 ? slug : `${slug}-${count}`);
    }
    for (const match of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(match[1]!);
  }
  return anchors;
}

/** Every inline link and image, and every reference definition, outside code. */
export function markdownLinks(markdown: string): MarkdownLink[] {
  return proseOnly(markdown).flatMap((line, index) => {
    const inline = [...line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!);
    const definition = /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/.exec(line)?.[1];
    return [...inline, ...(definition ? [definition] : [])].map((target) => ({ target, line: index + 1 }));
  });
}

/** True for a link that leaves the repository: a URL with a scheme, or protocol-relative. */
function isExternal(target: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//');
}

/** Result of checking pages: the relative links looked at, and each broken one as `file:line: target: why`. */
export interface LinkCheck {
  checked: number;
  broken: string[];
}

/** Checks every relative link of the given Markdown files; paths in messages are relative to `root`. */
export function checkMarkdownLinks(files: readonly string[], root: string): LinkCheck {
  const anchorsOf = new Map<string, Set<string>>();
  const anchors = (file: string): Set<string> => {
    let found = anchorsOf.get(file);
    if (!found) anchorsOf.set(file, (found = headingAnchors(readFileSync(file, 'utf8'))));
    return found;
  };
  const broken: string[] = [];
  let checked = 0;
  for (const file of files) {
    for (const { target, line } of markdownLinks(readFileSync(file, 'utf8'))) {
      if (isExternal(target)) continue;
      checked += 1;
      const where = `${relative(root, file)}:${line}: ${target}`;
      const hash = target.indexOf('#');
      const pathPart = hash === -1 ? target : target.slice(0, hash);
      const anchor = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1));
      const destination = pathPart === '' ? file : resolve(dirname(file), decodeURIComponent(pathPart));
      if (!existsSync(destination)) {
        broken.push(`${where}: no such file ${relative(root, destination)}`);
        continue;
      }
      if (anchor === undefined) continue;
      if (statSync(destination).isDirectory() || !destination.endsWith('.md')) {
        broken.push(`${where}: an anchor needs a Markdown page to point into`);
      } else if (!anchors(destination).has(anchor)) {
        broken.push(`${where}: no heading "#${anchor}" in ${relative(root, destination)}`);
      }
    }
  }
  return { checked, broken };
}
