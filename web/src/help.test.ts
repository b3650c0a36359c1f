import { describe, expect, it } from 'vitest';
import { GUIDES, LAYER_HELP } from './help';
import { parse, type Block } from './markdown';

const files = import.meta.glob('../../docs/**/*.md', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;
const load = (page: string) => {
  const md = files[`../../docs/${page}.md`] ?? files[`../../docs/${page}/README.md`];
  return md === undefined ? null : parse(md);
};
const anchors = (bs: Block[]): string[] => bs.flatMap((b) => (b.t === 'h' ? [b.id] : b.t === 'list' ? b.items.flatMap((i) => anchors(i.children)) : []));

describe('help links', () => {
  // The layers API.md's error contract names (copied: a clean clone has no ../shared).
  it('has a page for every layer API.md names', () => {
    const named = ['permissions', 'ssh', 'network', 'git_token', 'github_app', 'registry', 'backup_storage', 'aws_iam', 'webhook', 'email', 'seat_limit'];
    for (const l of named) expect(LAYER_HELP[l], l).toBeTruthy();
  });

  it('links only to pages and anchors that exist', () => {
    for (const [layer, href] of Object.entries(LAYER_HELP)) {
      const [page, hash] = href.replace('/help/', '').split('#');
      const blocks = load(page);
      expect(blocks, `${layer}: ${page}`).not.toBeNull();
      if (hash) expect(anchors(blocks!), `${layer}: #${hash}`).toContain(hash);
    }
    for (const g of GUIDES) expect(load(g.page), g.page).not.toBeNull();
  });
});
