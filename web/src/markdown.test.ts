import { describe, expect, it } from 'vitest';
import { helpHref, inline, parse, slug, type Block } from './markdown';

describe('markdown', () => {
  it('makes GitHub anchors', () => {
    expect(slug('"Access denied" or missing pages')).toBe('access-denied-or-missing-pages');
    expect(slug('Docker registries (layer `registry`)')).toBe('docker-registries-layer-registry');
    expect(slug('Still stuck: when to contact support')).toBe('still-stuck-when-to-contact-support');
  });

  it('reads inline code, bold, emphasis and links, and never markup', () => {
    expect(inline('a `x*y` **b** *c* [d](e.md#f) <script>')).toEqual([
      { t: 'text', v: 'a ' }, { t: 'code', v: 'x*y' }, { t: 'text', v: ' ' },
      { t: 'strong', c: [{ t: 'text', v: 'b' }] }, { t: 'text', v: ' ' },
      { t: 'em', c: [{ t: 'text', v: 'c' }] }, { t: 'text', v: ' ' },
      { t: 'link', href: 'e.md#f', c: [{ t: 'text', v: 'd' }] }, { t: 'text', v: ' <script>' },
    ]);
  });

  it('reads headings, paragraphs, tables, code and nested lists', () => {
    const md = [
      '# Title', '', 'One line', 'two lines.', '',
      '| layer | page |', '|---|---|', '| `ssh` | [servers](servers.md) |', '',
      '0. **First.** text', '   continued', '   - nested a', '   - nested b', '',
      '   A paragraph in the item.', '1. Second', '', '```sh', 'wharf doctor', '```',
    ].join('\n');
    const b = parse(md);
    expect(b.map((x) => x.t)).toEqual(['h', 'p', 'table', 'list', 'code']);
    expect(b[0]).toMatchObject({ level: 1, id: 'title' });
    expect(b[1]).toEqual({ t: 'p', c: [{ t: 'text', v: 'One line two lines.' }] });
    const list = b[3] as Extract<Block, { t: 'list' }>;
    expect(list.start).toBe(0);
    expect(list.items).toHaveLength(2);
    expect(list.items[0].children.map((c) => c.t)).toEqual(['list', 'p']);
    expect(b[4]).toEqual({ t: 'code', lang: 'sh', v: 'wharf doctor' });
  });

  it('maps links between docs to /help pages', () => {
    expect(helpHref('servers.md#onboarding', 'troubleshooting/README')).toBe('/help/troubleshooting/servers#onboarding');
    expect(helpHref('../postgres.md', 'troubleshooting/servers')).toBe('/help/postgres');
    expect(helpHref('#x', 'troubleshooting/security')).toBe('/help/troubleshooting/security#x');
    expect(helpHref('troubleshooting/README.md', 'architecture')).toBe('/help/troubleshooting');
    expect(helpHref('https://dokku.com/docs', 'x')).toBe('https://dokku.com/docs');
  });

  // Every doc the UI serves parses, and every link from a troubleshooting page to another doc
  // lands on a page that exists, at an anchor that exists.
  it('serves every doc with working links', () => {
    const files = import.meta.glob('../../docs/**/*.md', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;
    const pages = new Map<string, Block[]>();
    for (const [file, md] of Object.entries(files)) {
      const page = file.replace('../../docs/', '').replace(/\.md$/, '').replace(/(^|\/)README$/, '$1').replace(/\/$/, '');
      pages.set(page, parse(md));
    }
    expect(pages.has('troubleshooting')).toBe(true);
    const anchors = (bs: Block[]): string[] => bs.flatMap((b) => (b.t === 'h' ? [b.id] : b.t === 'list' ? b.items.flatMap((i) => anchors(i.children)) : []));
    const links = (bs: Block[]): string[] => {
      const fromInline = (c: ReturnType<typeof inline>): string[] => c.flatMap((i) => (i.t === 'link' ? [i.href, ...fromInline(i.c)] : i.t === 'strong' || i.t === 'em' ? fromInline(i.c) : []));
      return bs.flatMap((b) => (b.t === 'p' || b.t === 'h' ? fromInline(b.c)
        : b.t === 'table' ? [...b.head, ...b.rows.flat()].flatMap(fromInline)
          : b.t === 'list' ? b.items.flatMap((i) => [...fromInline(i.c), ...links(i.children)]) : []));
    };
    const broken: string[] = [];
    let checked = 0;
    for (const [page, blocks] of pages) {
      if (!page.startsWith('troubleshooting')) continue;
      for (const href of links(blocks)) {
        const to = helpHref(href, page.includes('/') || page === 'troubleshooting' ? (page === 'troubleshooting' ? 'troubleshooting/README' : page) : page);
        if (!to.startsWith('/help/')) continue;
        const [target, hash] = to.slice('/help/'.length).split('#');
        checked++;
        const t = pages.get(target);
        if (!t) broken.push(`${page}: ${href} (no page ${target})`);
        else if (hash && !anchors(t).includes(hash)) broken.push(`${page}: ${href} (no anchor #${hash})`);
      }
    }
    expect(broken).toEqual([]);
    expect(checked).toBeGreaterThan(5);
  });
});
