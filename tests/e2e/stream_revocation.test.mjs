// A live log stream (SSE) re-checks its reader while it streams (docs/security.md, "Long streams
// keep old permissions"): removing the member, narrowing their role or ending their session closes
// the stream within a few seconds with `event: revoked` and the reason. Before the fix the stream
// went on with the permissions it started with.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWharf, api, memberWithRole } from './lib/harness.mjs';
import { enqueueSleep } from './lib/jobs.mjs';

let s, ada, job;
const O = () => `/api/v1/orgs/${ada.org.slug}`;
before(async () => {
  s = await startWharf({ args: ['--enable-test-jobs'] });
  ada = (await api(s.url, 'POST', '/api/v1/auth/signup', { body: { email: 'ada@example.test', password: 'correct-horse-battery', name: 'Ada' } })).json;
  // One long job that every reader follows; it logs nothing after its start line.
  [job] = await enqueueSleep(s.url, ada, 'srv_stream', { ms: 120000 });
});
after(async () => {
  await api(s.url, 'POST', `${O()}/jobs/${job}/cancel`, { token: ada.token });
  await s.stop();
  s.cleanup();
});

// Opens the job's log as `who` and returns {events, closed}: closed resolves with the time the
// stream ended and the parsed `revoked` event (or null).
async function follow(who) {
  const r = await fetch(`${s.url}${O()}/jobs/${job}/log`, { headers: { authorization: `Bearer ${who.token}` } });
  assert.equal(r.status, 200);
  const reader = r.body.getReader();
  const dec = new TextDecoder();
  let text = '';
  const closed = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += dec.decode(value, { stream: true });
    }
    const block = text.split('\n\n').find((b) => b.startsWith('event: revoked'));
    return { at: Date.now(), revoked: block ? JSON.parse(block.split('\n').find((l) => l.startsWith('data: ')).slice(6)) : null, text };
  })();
  // Let the stream send its first poll before the test changes access.
  await new Promise((res) => setTimeout(res, 500));
  return { closed };
}

async function closesWithin(stream, ms) {
  const t0 = Date.now();
  const timeout = new Promise((_, rej) => setTimeout(() => rej(new Error(`stream still open after ${ms} ms`)), ms));
  const out = await Promise.race([stream.closed, timeout]);
  return { ...out, took: out.at - t0 };
}

const reader = { servers: { read: true } };

test('removing the member closes their log stream with reason access_removed', async () => {
  const bob = await memberWithRole(s.url, ada, 'bob', reader);
  const stream = await follow(bob);
  assert.equal((await api(s.url, 'DELETE', `${O()}/members/${bob.user.id}`, { token: ada.token })).status, 204);
  const out = await closesWithin(stream, 4000);
  assert.equal(out.revoked?.reason, 'access_removed', out.text);
  assert.ok(out.took < 3000, `closed after ${out.took} ms`);
});

test('narrowing the role closes the stream with reason permission_removed and names the permission', async () => {
  const cy = await memberWithRole(s.url, ada, 'cy', reader);
  const stream = await follow(cy);
  const r = await api(s.url, 'PATCH', `${O()}/roles/${cy.role.id}`, { token: ada.token, body: { permissions: { services: { read: true } } } });
  assert.equal(r.status, 200, r.text);
  const out = await closesWithin(stream, 4000);
  assert.equal(out.revoked?.reason, 'permission_removed', out.text);
  assert.equal(out.revoked.permission, 'servers.read');
  assert.ok(out.took < 3000, `closed after ${out.took} ms`);
});

test('signing out closes the stream of that session with reason signed_out', async () => {
  const dee = await memberWithRole(s.url, ada, 'dee', reader);
  const stream = await follow(dee);
  assert.equal((await api(s.url, 'POST', '/api/v1/auth/logout', { token: dee.token })).status, 204);
  const out = await closesWithin(stream, 4000);
  assert.equal(out.revoked?.reason, 'signed_out', out.text);
  assert.ok(out.took < 3000, `closed after ${out.took} ms`);
});

test('a reader whose access is unchanged keeps streaming past the re-check interval', async () => {
  const eve = await memberWithRole(s.url, ada, 'eve', reader);
  const stream = await follow(eve);
  const early = await Promise.race([stream.closed, new Promise((res) => setTimeout(() => res('open'), 5000))]);
  assert.equal(early, 'open');
  assert.equal((await api(s.url, 'DELETE', `${O()}/members/${eve.user.id}`, { token: ada.token })).status, 204);
  await closesWithin(stream, 4000);
});
