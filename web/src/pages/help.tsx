// Help: Wharf's own guides (docs/**/*.md, bundled at build time, one lazily loaded chunk per page)
// rendered from the Markdown tree in markdown.ts, never as raw HTML. Error boxes and check reports
// link here by layer (help.ts), so "what do I do about this" is one click from the error.
import { h, type ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { GUIDES } from '../help';
import { helpHref, parse, type Block, type Inline } from '../markdown';
import { Loading, PageTitle } from '../components';

const DOCS = import.meta.glob('../../../docs/**/*.md', { query: '?raw', import: 'default' }) as Record<string, () => Promise<string>>;

// "troubleshooting/servers" -> the loader for docs/troubleshooting/servers.md ("" or a folder -> README).
function loaderFor(page: string): (() => Promise<string>) | undefined {
  const base = '../../../docs/';
  return DOCS[`${base}${page}.md`] ?? DOCS[`${base}${page ? `${page}/` : ''}README.md`];
}

export function HelpPage(props: { page: string }) {
  const page = props.page.replace(/\/+$/, '') || 'troubleshooting';
  const [blocks, setBlocks] = useState<Block[] | null | undefined>(undefined);
  useEffect(() => {
    setBlocks(undefined);
    const load = loaderFor(page);
    if (!load) { setBlocks(null); return; }
    load().then((md) => setBlocks(parse(md)), () => setBlocks(null));
  }, [page]);
  // Scroll to the anchor once the page is rendered.
  useEffect(() => {
    if (!blocks || !location.hash) return;
    document.getElementById(decodeURIComponent(location.hash.slice(1)))?.scrollIntoView();
  }, [blocks]);
  const from = loaderFor(page) === DOCS[`../../../docs/${page}.md`] ? page : `${page}/README`;
  return (
    <div class="help">
      <nav class="panel help-guides" aria-label="Guides">
        <h2>Guides</h2>
        <ul>
          {GUIDES.map((g) => (
            <li key={g.page}><a href={`/help/${g.page}`} aria-current={g.page === page ? 'page' : undefined}>{g.title}</a></li>
          ))}
        </ul>
      </nav>
      <article class="panel doc" data-testid="help-doc" data-page={page}>
        {blocks === undefined && <Loading />}
        {blocks === null && (
          <>
            <PageTitle>Guide not found</PageTitle>
            <p>There is no guide <code>{page}</code>. Pick one from the list.</p>
          </>
        )}
        {blocks && blocks.map((b, i) => renderBlock(b, from, i))}
      </article>
    </div>
  );
}

function renderInline(c: Inline[], from: string): ComponentChildren {
  return c.map((x, i) => {
    switch (x.t) {
      case 'text': return x.v;
      case 'code': return <code key={i}>{x.v}</code>;
      case 'strong': return <strong key={i}>{renderInline(x.c, from)}</strong>;
      case 'em': return <em key={i}>{renderInline(x.c, from)}</em>;
      case 'link': {
        const href = helpHref(x.href, from);
        const external = /^https?:/.test(href);
        return <a key={i} href={href} {...(external ? { rel: 'noopener noreferrer', target: '_blank' } : {})}>{renderInline(x.c, from)}</a>;
      }
    }
  });
}

function renderBlock(b: Block, from: string, key: number): preact.JSX.Element {
  switch (b.t) {
    case 'h': return h(`h${Math.min(b.level, 6)}`, { id: b.id, key }, renderInline(b.c, from)) as preact.JSX.Element;
    case 'p': return <p key={key}>{renderInline(b.c, from)}</p>;
    case 'code': return <pre key={key} class="mono"><code>{b.v}</code></pre>;
    case 'table':
      return (
        <div class="table-wrap" key={key}>
          <table>
            <thead><tr>{b.head.map((c, i) => <th key={i}>{renderInline(c, from)}</th>)}</tr></thead>
            <tbody>{b.rows.map((r, i) => <tr key={i}>{r.map((c, j) => <td key={j}>{renderInline(c, from)}</td>)}</tr>)}</tbody>
          </table>
        </div>
      );
    case 'list': {
      const items = b.items.map((it, i) => <li key={i}>{renderInline(it.c, from)}{it.children.map((c, j) => renderBlock(c, from, j))}</li>);
      return b.ordered ? <ol key={key} start={b.start}>{items}</ol> : <ul key={key}>{items}</ul>;
    }
  }
}
