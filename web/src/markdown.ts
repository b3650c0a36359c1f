// A small Markdown reader for Wharf's own docs (docs/**/*.md), which the UI serves under /help.
// It turns text into a tree that pages/help.tsx renders with Preact: nothing is ever inserted as
// HTML, so a doc cannot inject markup. It reads the subset the docs use: ATX headings (with
// GitHub-style anchors), paragraphs, ordered and unordered lists (one nesting level, continuation
// lines), fenced code, tables, and inline code, bold, emphasis and links.

export type Inline =
  | { t: 'text'; v: string }
  | { t: 'code'; v: string }
  | { t: 'strong'; c: Inline[] }
  | { t: 'em'; c: Inline[] }
  | { t: 'link'; href: string; c: Inline[] };

export type ListItem = { c: Inline[]; children: Block[] };

export type Block =
  | { t: 'h'; level: number; id: string; c: Inline[] }
  | { t: 'p'; c: Inline[] }
  | { t: 'code'; lang: string; v: string }
  | { t: 'list'; ordered: boolean; start: number; items: ListItem[] }
  | { t: 'table'; head: Inline[][]; rows: Inline[][][] };

// GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes.
export function slug(text: string): string {
  return text.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').trim().replace(/\s/g, '-');
}

function plain(c: Inline[]): string {
  return c.map((i) => (i.t === 'text' || i.t === 'code' ? i.v : plain(i.c))).join('');
}

export function inline(s: string): Inline[] {
  const out: Inline[] = [];
  let text = '';
  const flush = () => { if (text) { out.push({ t: 'text', v: text }); text = ''; } };
  for (let i = 0; i < s.length;) {
    const rest = s.slice(i);
    let m: RegExpMatchArray | null;
    if (rest[0] === '`' && (m = rest.match(/^(`+)([\s\S]*?)\1/))) {
      flush(); out.push({ t: 'code', v: m[2] }); i += m[0].length;
    } else if ((m = rest.match(/^\*\*(.+?)\*\*/))) {
      flush(); out.push({ t: 'strong', c: inline(m[1]) }); i += m[0].length;
    } else if ((m = rest.match(/^\*([^*\s][^*]*?)\*/)) || (m = rest.match(/^_([^_\s][^_]*?)_(?![\w])/))) {
      flush(); out.push({ t: 'em', c: inline(m[1]) }); i += m[0].length;
    } else if ((m = rest.match(/^!?\[([^\]]*)\]\(([^)\s]+)\)/))) {
      flush();
      if (rest[0] === '!') out.push({ t: 'text', v: m[1] });  // images: their alt text
      else out.push({ t: 'link', href: m[2], c: inline(m[1]) });
      i += m[0].length;
    } else {
      text += s[i]; i += 1;
    }
  }
  flush();
  return out;
}

const cells = (line: string) => line.trim().replace(/^\|/, '').replace(/\|$/, '').split(/(?<!\\)\|/).map((c) => inline(c.trim().replace(/\\\|/g, '|')));
const listMarker = /^(\s*)([-*]|\d+[.)])\s+(.*)$/;

export function parse(md: string): Block[] {
  const lines = md.replace(/\r\n/g, '\n').split('\n');
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (!line.trim()) { i++; continue; }
    const fence = line.match(/^\s*```(\S*)/);
    if (fence) {
      const body: string[] = [];
      for (i++; i < lines.length && !/^\s*```/.test(lines[i]); i++) body.push(lines[i]);
      i++;
      blocks.push({ t: 'code', lang: fence[1], v: body.join('\n') });
      continue;
    }
    const h = line.match(/^(#{1,6})\s+(.*?)\s*#*\s*$/);
    if (h) {
      const c = inline(h[2]);
      blocks.push({ t: 'h', level: h[1].length, id: slug(plain(c)), c });
      i++;
      continue;
    }
    if (line.trim().startsWith('|') && i + 1 < lines.length && /^\s*\|?\s*:?-{3,}/.test(lines[i + 1])) {
      const head = cells(line);
      const rows: Inline[][][] = [];
      for (i += 2; i < lines.length && lines[i].trim().startsWith('|'); i++) rows.push(cells(lines[i]));
      blocks.push({ t: 'table', head, rows });
      continue;
    }
    const lm = line.match(listMarker);
    if (lm) {
      const [block, next] = parseList(lines, i, lm[1].length);
      blocks.push(block);
      i = next;
      continue;
    }
    const para: string[] = [line.trim()];
    for (i++; i < lines.length && lines[i].trim() && !/^(#{1,6}\s|\s*```|\s*\|)/.test(lines[i]) && !listMarker.test(lines[i]); i++)
      para.push(lines[i].trim());
    blocks.push({ t: 'p', c: inline(para.join(' ')) });
  }
  return blocks;
}

// A list starting at lines[i] whose markers are indented by `indent`; deeper markers nest, and
// indented lines without a marker continue the item (or, after a blank line, add a paragraph).
function parseList(lines: string[], i: number, indent: number): [Block, number] {
  const first = lines[i].match(listMarker)!;
  const ordered = /\d/.test(first[2]);
  const list: Block & { t: 'list' } = { t: 'list', ordered, start: ordered ? parseInt(first[2], 10) : 1, items: [] };
  let item: ListItem | null = null;
  let text: string[] = [];
  // Moves the item's pending text into it (appending to what an earlier close put there).
  const close = () => {
    if (!item || !text.length) return;
    const add = inline(text.join(' '));
    item.c = item.c.length ? [...item.c, { t: 'text', v: ' ' }, ...add] : add;
    text = [];
  };
  const indentOf = (l: string) => l.match(/^\s*/)![0].length;
  const sameKind = (m: RegExpMatchArray) => /\d/.test(m[2]) === ordered;
  while (i < lines.length) {
    const line = lines[i];
    const m = line.match(listMarker);
    if (m && m[1].length === indent && sameKind(m)) {
      close();
      item = { c: [], children: [] };
      list.items.push(item);
      text = [m[3].trim()];
      i++;
    } else if (m && m[1].length > indent && item) {
      close();
      const [nested, next] = parseList(lines, i, m[1].length);
      item.children.push(nested);
      i = next;
    } else if (!line.trim()) {
      // A blank line ends the list unless what follows is its next item or is indented into it.
      let j = i + 1;
      while (j < lines.length && !lines[j].trim()) j++;
      if (j >= lines.length) break;
      const nm = lines[j].match(listMarker);
      if (nm && nm[1].length === indent && sameKind(nm)) { i = j; continue; }
      if (!item || indentOf(lines[j]) <= indent) break;
      if (nm) { i = j; continue; }
      close();
      const para: string[] = [];
      for (i = j; i < lines.length && lines[i].trim() && !listMarker.test(lines[i]); i++) para.push(lines[i].trim());
      item.children.push({ t: 'p', c: inline(para.join(' ')) });
    } else if (item && !m && (indentOf(line) > indent || !/^(#{1,6}\s|\s*```|\s*\|)/.test(line))) {
      text.push(line.trim());  // a continuation line, indented or lazy
      i++;
    } else {
      break;
    }
  }
  if (text.length) close();
  return [list, i];
}

// Where a link in a doc leads inside the UI: other docs become /help/… pages, anchors stay, and
// anything else (http links) is left as it is.
export function helpHref(href: string, from: string): string {
  if (/^[a-z]+:/i.test(href) || href.startsWith('/')) return href;
  if (href.startsWith('#')) return `/help/${from}${href}`;
  const [file, hash] = href.split('#');
  const base = from.includes('/') ? from.slice(0, from.lastIndexOf('/') + 1) : '';
  const parts = (base + file).split('/');
  const out: string[] = [];
  for (const p of parts) {
    if (p === '..') out.pop();
    else if (p && p !== '.') out.push(p);
  }
  const page = out.join('/').replace(/\.md$/, '').replace(/(^|\/)README$/, '$1').replace(/\/$/, '');
  return `/help/${page}${hash ? `#${hash}` : ''}`;
}
