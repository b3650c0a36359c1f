// Wharf's live logs (a job's or a deployment's `…/log`) are server-sent events: `event: log`
// blocks with the log text, then one `event: end` whose data is the outcome as JSON.
import assert from 'node:assert/strict';

// Splits an SSE body into the log text, the end event's data and the number of log events.
export function parseLog(text) {
  let log = '', end = null, events = 0;
  for (const block of text.split('\n\n').filter(Boolean)) {
    const lines = block.split('\n');
    const ev = (lines.find((l) => l.startsWith('event: ')) || '').slice(7);
    const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
    if (ev === 'log') { log += data + '\n'; events++; }
    if (ev === 'end') end = JSON.parse(data);
  }
  return { log, end, events };
}

// Reads a log stream to its end. Returns the raw body too, for tests that scan it for secrets.
export async function readLog(url, token) {
  const r = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(r.status, 200, url);
  assert.match(r.headers.get('content-type') ?? '', /text\/event-stream/);
  const text = await r.text();
  return { text, ...parseLog(text) };
}
