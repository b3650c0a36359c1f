import { describe, expect, it } from 'vitest';
import { describeChanges, filterLines, linesToText, sourceLabel, takeEvents } from './releases';

describe('releases', () => {
  it('labels sources by commit or digest', () => {
    expect(sourceLabel({ kind: 'git', commit: '0123456789abcdef0123' })).toBe('git 0123456789ab');
    expect(sourceLabel({ kind: 'image', image: 'r/a:v1', image_digest: 'sha256:0123456789abcdef' })).toBe('r/a:v1 (sha256:0123456789ab)');
    expect(sourceLabel({ kind: 'image', image: 'r/a:v1', image_digest: null })).toBe('r/a:v1 (no digest)');
  });
  it('describes a preview by keys only', () => {
    const none = { added: [], removed: [] };
    expect(describeChanges({ source: null, variables: { added: [], removed: [], changed: ['GREETING'] }, domains: none, ports: none }))
      .toEqual(['Variables changed: GREETING']);
    expect(describeChanges({ source: null, variables: { added: [], removed: [], changed: [] }, domains: none, ports: none })[0])
      .toMatch(/Nothing changes/);
    expect(describeChanges({ source: null, variables: { added: ['A'], removed: ['B'], changed: [] }, domains: { added: ['x.io'], removed: [] }, ports: none }))
      .toEqual(['Variables added: A', 'Variables removed: B', 'Domains added: x.io']);
  });
  it('takes complete SSE events and skips keep-alives', () => {
    const { events, rest } = takeEvents(': keep-alive\n\nevent: line\ndata: {"text":"a"}\n\nevent: li');
    expect(events).toEqual([{ event: 'line', data: '{"text":"a"}' }]);
    expect(rest).toBe('event: li');
  });
  it('filters and downloads lines', () => {
    const lines = [{ ts: 't1', process: 'web.1', text: 'GET / 200' }, { ts: 't2', process: 'web.1', text: 'boom' }];
    expect(filterLines(lines, 'BOOM')).toEqual([lines[1]]);
    expect(filterLines(lines, ' ')).toEqual(lines);
    expect(linesToText(lines)).toBe('t1 web.1 GET / 200\nt2 web.1 boom\n');
    expect(linesToText([])).toBe('');
  });
});
