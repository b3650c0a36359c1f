// Notifications end to end (docs/notifications.md): real maildev for email, a local HTTP receiver
// that checks Standard Webhooks signatures with npm's `standardwebhooks`, Slack and Discord
// payloads against their documented shapes, retries with backoff (5xx) and none for 4xx, manual
// redelivery, flap damping on a real sshd node, and a secret scan of every message sent.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWharf, startMaildev, api, signup, memberWithRole } from './lib/harness.mjs';
import { startSshd, NODE_USER } from './lib/sshd.mjs';
import { startReceiver } from './lib/webhook_receiver.mjs';
import { cliUser } from './lib/cli.mjs';

let s, mail, rx, ada, O;
const secrets = [];  // every secret this test knows: none may appear in any message
const ch = {};       // channels by name

before(async () => {
  mail = await startMaildev();
  rx = await startReceiver();
  s = await startWharf({
    smtpPort: mail.smtpPort,
    args: ['--notify-retry-base-ms', '1000', '--health-interval-seconds', '1', '--health-max-backoff-seconds', '1',
      '--health-failures-before-alert', '3', '--node-dns-probe', 'localhost', '--min-disk-free-mb', '100',
      '--connect-timeout-ms', '2000'],
  });
  ada = await signup(s.url, 'ada');
  secrets.push(ada.password, ada.token);
  O = `/api/v1/orgs/${ada.org.slug}`;
});
after(async () => { await s?.stop(); s?.cleanup(); mail?.stop(); await rx?.stop(); });

const wait = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(what, probe, ms = 15000) {
  const t0 = Date.now();
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await wait(100);
  }
}
async function deliveries(channelId) {
  const r = await api(s.url, 'GET', `${O}/notification-deliveries?limit=200${channelId ? `&channel_id=${channelId}` : ''}`, { token: ada.token });
  assert.equal(r.status, 200, r.text);
  return r.json.items;
}
function assertNoSecret(text, where) {
  for (const sec of secrets) assert.ok(!text.includes(sec), `${where} carries a secret`);
}

test('channels: secrets are write-only, a webhook secret is shown once, a test verifies each kind', async () => {
  const hook = await api(s.url, 'POST', `${O}/notification-channels`, { token: ada.token, body: { name: 'ops-hook', type: 'webhook', url: `${rx.url}/hook` } });
  assert.equal(hook.status, 201, hook.text);
  assert.match(hook.json.signing_secret, /^whsec_[A-Za-z0-9+/]+=*$/);
  assert.equal(hook.json.verified, false);
  rx.sign('/hook', hook.json.signing_secret);
  secrets.push(hook.json.signing_secret, hook.json.signing_secret.slice(6));
  ch.hook = hook.json;

  const slackSecret = `slk${Date.now()}SECRET`;
  const discordSecret = `dsc${Date.now()}SECRET`;
  secrets.push(slackSecret, discordSecret);
  for (const [name, type, body] of [
    ['ops-slack', 'slack', { url: `${rx.url}/slack/T000/B000/${slackSecret}` }],
    ['ops-discord', 'discord', { url: `${rx.url}/discord/api/webhooks/1/${discordSecret}` }],
    ['ops-mail', 'email', { addresses: ['oncall@example.test'] }],
  ]) {
    const r = await api(s.url, 'POST', `${O}/notification-channels`, { token: ada.token, body: { name, type, ...body } });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.signing_secret, undefined);
    ch[type] = r.json;
  }
  // Read back: the Slack/Discord URL is a credential, never shown; the webhook's secret only {set}.
  for (const c of Object.values(ch)) {
    const r = await api(s.url, 'GET', `${O}/notification-channels/${c.id}`, { token: ada.token });
    assert.equal(r.status, 200);
    assertNoSecret(r.text, `GET channel ${c.name}`);
    if (c.type === 'slack' || c.type === 'discord') assert.deepEqual(r.json.url, { set: true });
  }
  const list = await api(s.url, 'GET', `${O}/notification-channels`, { token: ada.token });
  assert.equal(list.json.items.length, 4);
  assertNoSecret(list.text, 'channel list');

  // An unverified channel cannot be used by a rule.
  const early = await api(s.url, 'POST', `${O}/notification-rules`, { token: ada.token, body: { events: ['deployment.failed'], channel_ids: [ch.hook.id] } });
  assert.equal(early.status, 400);
  assert.ok(early.json.error.details.fields['channel_ids[0]'], early.text);

  for (const c of Object.values(ch)) {
    const t = await api(s.url, 'POST', `${O}/notification-channels/${c.id}/test`, { token: ada.token });
    assert.equal(t.status, 200, t.text);
    assert.equal(t.json.ok, true, t.text);
    const after = await api(s.url, 'GET', `${O}/notification-channels/${c.id}`, { token: ada.token });
    assert.equal(after.json.verified, true);
  }
  const signed = await rx.waitFor((m) => m.path === '/hook' && m.json?.type === 'test');
  assert.equal(signed.verified, true, signed.verifyError);
  assert.match(signed.headers['webhook-id'], /^msg_/);
  assert.equal(signed.json.data.org, ada.org.slug);

  // Slack incoming webhook: text plus Block Kit sections (mrkdwn, ≤ 3000 characters).
  const slack = await rx.waitFor((m) => m.path.startsWith('/slack/'));
  assert.equal(typeof slack.json.text, 'string');
  assert.ok(Array.isArray(slack.json.blocks) && slack.json.blocks.length >= 2);
  for (const b of slack.json.blocks) {
    assert.ok(['section', 'context'].includes(b.type));
    if (b.type === 'section') { assert.equal(b.text.type, 'mrkdwn'); assert.ok(b.text.text.length <= 3000); }
  }
  // Discord Execute Webhook: content ≤ 2000, one embed within limits, no mentions parsed.
  const discord = await rx.waitFor((m) => m.path.startsWith('/discord/'));
  assert.ok(discord.json.content.length <= 2000);
  assert.deepEqual(discord.json.allowed_mentions, { parse: [] });
  assert.equal(discord.json.embeds.length, 1);
  assert.ok(discord.json.embeds[0].title.length <= 256);
  assert.ok(discord.json.embeds[0].description.length <= 4096);
  assert.equal(typeof discord.json.embeds[0].color, 'number');

  const email = await mail.waitForMessageTo('oncall@example.test');
  assert.match(email.subject, /Test notification/);
});

test('a channel whose receiver answers 404 fails its test with the status, the layer and a fix', async () => {
  rx.plan('/missing', [404]);
  const c = await api(s.url, 'POST', `${O}/notification-channels`, { token: ada.token, body: { name: 'missing', type: 'slack', url: `${rx.url}/missing` } });
  assert.equal(c.status, 201);
  const t = await api(s.url, 'POST', `${O}/notification-channels/${c.json.id}/test`, { token: ada.token });
  assert.equal(t.status, 200);
  assert.equal(t.json.ok, false);
  assert.equal(t.json.response_code, 404);
  assert.equal(t.json.checks[0].layer, 'webhook');
  assert.match(t.json.checks[0].fix, /no longer exists/);
  const row = await api(s.url, 'GET', `${O}/notification-channels/${c.json.id}`, { token: ada.token });
  assert.equal(row.json.verified, false);
  assert.match(row.json.last_error.message, /404/);
  assert.equal((await api(s.url, 'DELETE', `${O}/notification-channels/${c.json.id}`, { token: ada.token })).status, 204);
});

test('a security event reaches every routed channel once, naming org, what, layer, fix and link, with no secret', async () => {
  const rule = await api(s.url, 'POST', `${O}/notification-rules`, {
    token: ada.token,
    body: { events: ['security.token_created'], channel_ids: [ch.hook.id, ch.slack.id, ch.discord.id, ch.email.id] },
  });
  assert.equal(rule.status, 201, rule.text);
  // A second rule naming the same event and channel must not double the message.
  assert.equal((await api(s.url, 'POST', `${O}/notification-rules`, { token: ada.token, body: { events: ['security.token_created', 'backup.failed'], channel_ids: [ch.hook.id], min_severity: 'info' } })).status, 201);
  const tok = await api(s.url, 'POST', '/api/v1/me/tokens', { token: ada.token, body: { name: 'ci-deployer', org: ada.org.slug } });
  assert.equal(tok.status, 201, tok.text);
  secrets.push(tok.json.token);

  const hook = await rx.waitFor((m) => m.path === '/hook' && m.json?.type === 'security.token_created');
  assert.equal(hook.verified, true, hook.verifyError);
  const d = hook.json.data;
  assert.equal(d.org, ada.org.slug);
  assert.match(d.message, /ci-deployer/);
  assert.equal(d.layer, 'permissions');
  assert.ok(d.fix.length > 10);
  assert.ok(d.url.startsWith(`${s.url}/o/${ada.org.slug}/`), d.url);
  const slack = await rx.waitFor((m) => m.path.startsWith('/slack/') && m.json?.text?.includes('API token created'));
  assert.match(slack.body, /ci-deployer/);
  const discord = await rx.waitFor((m) => m.path.startsWith('/discord/') && m.json?.embeds?.[0]?.title?.includes('API token created'));
  assert.ok(discord.json.embeds[0].fields.some((f) => f.name === 'Fix'));
  const email = await until('the email', async () => (await mail.messages()).find((m) => /API token created/.test(m.subject)));
  for (const want of [`Organisation: `, 'Layer:        permissions', 'Fix: ', `Open in Wharf: ${s.url}/o/${ada.org.slug}/`])
    assert.ok(email.text.includes(want), `${want} in\n${email.text}`);

  await wait(1000);  // anything duplicated would have arrived by now
  assert.equal(rx.got.filter((m) => m.path === '/hook' && m.json?.type === 'security.token_created').length, 1);
  const log = (await deliveries()).filter((x) => x.event === 'security.token_created');
  assert.equal(log.length, 4);
  for (const x of log) {
    assert.equal(x.status, 'succeeded', JSON.stringify(x));
    assert.equal(x.attempts, 1);
  }
  assert.equal(log.find((x) => x.channel_id === ch.hook.id).response_code, 200);
});

test('5xx answers are retried with backoff under the same message id; a 4xx is not; redelivery sends again', async () => {
  const mk = async (name, path) => {
    const c = await api(s.url, 'POST', `${O}/notification-channels`, { token: ada.token, body: { name, type: 'webhook', url: `${rx.url}${path}` } });
    assert.equal(c.status, 201, c.text);
    rx.sign(path, c.json.signing_secret);
    secrets.push(c.json.signing_secret);
    assert.equal((await api(s.url, 'POST', `${O}/notification-channels/${c.json.id}/test`, { token: ada.token })).json.ok, true);
    return c.json;
  };
  const flaky = await mk('flaky', '/flaky');
  const gone = await mk('gone', '/gone');
  rx.plan('/flaky', [503, 500]);
  rx.plan('/gone', [410, 410, 410]);
  const r = await api(s.url, 'POST', `${O}/notification-rules`, { token: ada.token, body: { events: ['security.member_joined'], channel_ids: [flaky.id, gone.id] } });
  assert.equal(r.status, 201, r.text);
  const bob = await memberWithRole(s.url, ada, 'bob', { sshKeys: { read: true } });
  secrets.push(bob.password, bob.token);

  const ok = await until('the third attempt', async () => {
    const ds = await deliveries(flaky.id);
    return ds.find((x) => x.event === 'security.member_joined' && x.status === 'succeeded');
  });
  assert.equal(ok.attempts, 3);
  const tries = rx.got.filter((m) => m.path === '/flaky' && m.json?.type === 'security.member_joined');
  assert.deepEqual(tries.map((m) => m.status), [503, 500, 200]);
  assert.equal(new Set(tries.map((m) => m.headers['webhook-id'])).size, 1, 'a retry keeps the message id');
  assert.ok(tries.every((m) => m.verified), 'every attempt is signed afresh and verifies');
  assert.ok(tries[1].at - tries[0].at >= 900, `backoff before the first retry (${tries[1].at - tries[0].at} ms)`);
  // The waits grow (1 s, then 3 s; the retry sweep runs about once a second).
  assert.ok(tries[2].at - tries[1].at >= 2900, `the second wait is longer (${tries[2].at - tries[1].at} ms)`);

  const failed = await until('the 410 to fail', async () => (await deliveries(gone.id)).find((x) => x.event === 'security.member_joined' && x.status === 'failed'));
  assert.equal(failed.attempts, 1);
  assert.equal(failed.response_code, 410);
  assert.equal(failed.last_error.layer, 'webhook');
  await wait(1500);
  assert.equal(rx.got.filter((m) => m.path === '/gone' && m.json?.type === 'security.member_joined').length, 1, 'a 4xx is not retried');

  rx.plan('/gone', []);
  const again = await api(s.url, 'POST', `${O}/notification-deliveries/${failed.id}/redeliver`, { token: ada.token });
  assert.equal(again.status, 202, again.text);
  const done = await until('the redelivery', async () => (await deliveries(gone.id)).find((x) => x.id === failed.id && x.status === 'succeeded'));
  assert.equal(done.attempts, 2);
  const sent = rx.got.filter((m) => m.path === '/gone' && m.json?.type === 'security.member_joined');
  assert.equal(sent.length, 2);
  assert.equal(sent[1].headers['webhook-id'], failed.id);

  // A member without notifications.read sees no channel, rule or delivery.
  const denied = await api(s.url, 'GET', `${O}/notification-deliveries`, { token: bob.token });
  assert.equal(denied.status, 403);
  assert.equal((await api(s.url, 'GET', `${O}/notification-channels`, { token: bob.token })).status, 403);
});

test('flap damping: three failed checks make one unreachable message, and the recovery one more', async () => {
  const node = await startSshd();
  try {
    const r = await api(s.url, 'POST', `${O}/notification-rules`, { token: ada.token, body: { events: ['server.unreachable', 'server.recovered'], channel_ids: [ch.hook.id] } });
    assert.equal(r.status, 201, r.text);
    const k = (await api(s.url, 'POST', `${O}/ssh-keys`, { token: ada.token, body: { name: 'node', generate: { type: 'ed25519' } } })).json;
    node.authorize(NODE_USER, (await api(s.url, 'GET', `${O}/ssh-keys/${k.id}/public-key`, { token: ada.token })).text);
    const srv = await api(s.url, 'POST', `${O}/servers`, { token: ada.token, body: { name: 'edge-1', host: '127.0.0.1', port: node.port, username: NODE_USER, ssh_key_id: k.id } });
    assert.equal(srv.status, 201, srv.text);
    const checks = async () => (await api(s.url, 'GET', `${O}/servers/${srv.json.id}/checks?limit=100`, { token: ada.token })).json.items;
    await until('a healthy check', async () => (await checks()).some((c) => c.ok), 30000);
    const about = (m) => m.path === '/hook' && m.json?.data?.server === 'edge-1';

    await node.stop();
    const down = await rx.waitFor((m) => about(m) && m.json.type === 'server.unreachable', 30000, 'server.unreachable');
    assert.equal(down.verified, true);
    assert.match(down.json.data.message, /failed 3 health checks in a row/);
    assert.ok(down.json.data.url.endsWith(`/servers/${srv.json.id}`));
    // More failures: silence.
    const failedBefore = (await checks()).filter((c) => !c.ok).length;
    await until('three more failed checks', async () => (await checks()).filter((c) => !c.ok).length >= failedBefore + 3, 30000);
    assert.equal(rx.got.filter((m) => about(m) && m.json.type === 'server.unreachable').length, 1);

    await node.start();
    await rx.waitFor((m) => about(m) && m.json.type === 'server.recovered', 30000, 'server.recovered');
    const okBefore = (await checks()).filter((c) => c.ok).length;
    await until('two more healthy checks', async () => (await checks()).filter((c) => c.ok).length >= okBefore + 2, 30000);
    assert.equal(rx.got.filter((m) => about(m)).length, 2, 'one unreachable and one recovered message in all');
  } finally {
    await node.cleanup();
  }
});

test('wharf notify: a Slack URL only from stdin, a webhook secret printed once, test, rule, log', async () => {
  const cli = cliUser('ada-notify');
  const env = { WHARF_URL: s.url, WHARF_TOKEN: ada.token, WHARF_ORG: ada.org.slug };
  try {
    const slackSecret = `cliSlack${Date.now()}`;
    secrets.push(slackSecret);
    const argv = await cli.run(['notify', 'channel', 'add', 'cli-slack', '--type', 'slack', '--url', `${rx.url}/slack/${slackSecret}`], { env });
    assert.equal(argv.code, 2, 'a Slack URL in argv is refused');
    assert.match(argv.stderr, /never taken from the command line/);
    assert.ok(!argv.stderr.includes(slackSecret));
    const slack = await cli.json(['notify', 'channel', 'add', 'cli-slack', '--type', 'slack', '--url-stdin'], { env, input: `${rx.url}/slack/${slackSecret}\n` });
    assert.deepEqual(slack.url, { set: true });
    const hook = await cli.run(['notify', 'channel', 'add', 'cli-hook', '--type', 'webhook', '--url', `${rx.url}/cli-hook`], { env });
    assert.equal(hook.code, 0, hook.stderr);
    const whsec = hook.stdout.match(/whsec_[A-Za-z0-9+/=]+/)[0];
    rx.sign('/cli-hook', whsec);
    secrets.push(whsec);
    const tested = await cli.run(['notify', 'channel', 'test', 'cli-hook'], { env });
    assert.equal(tested.code, 0, tested.stderr);
    assert.match(tested.stdout, /verified/);
    const listed = await cli.json(['notify', 'channel', 'list'], { env });
    assert.equal(listed.find((c) => c.name === 'cli-hook').verified, true);
    const rule = await cli.json(['notify', 'rule', 'add', '--event', 'security.member_removed', '--channel', 'cli-hook'], { env });
    assert.deepEqual(rule.events, ['security.member_removed']);
    const carl = await memberWithRole(s.url, ada, 'carl', { sshKeys: { read: true } });
    assert.equal((await api(s.url, 'DELETE', `${O}/members/${carl.user.id}`, { token: ada.token })).status, 204);
    const got = await rx.waitFor((m) => m.path === '/cli-hook' && m.json?.type === 'security.member_removed');
    assert.equal(got.verified, true, got.verifyError);
    assert.match(got.json.data.message, new RegExp(carl.email));
    const log = await cli.json(['notify', 'log', '--channel', 'cli-hook'], { env });
    assert.ok(log.some((d) => d.event === 'security.member_removed' && d.status === 'succeeded'));
    const table = await cli.run(['notify', 'channel', 'list'], { env });
    assert.ok(!table.stdout.includes(slackSecret) && !table.stdout.includes(whsec.slice(6)));
    assert.match(table.stdout, /write-only URL/);
  } finally {
    cli.cleanup();
  }
});

test('no message sent through any channel carries a secret', async () => {
  const emails = await mail.messages();
  assert.ok(rx.got.length >= 10 && emails.length >= 2);
  for (const m of rx.got) assertNoSecret(m.body, `${m.path} body`);
  for (const e of emails) assertNoSecret(`${e.subject}\n${e.text}`, `email ${e.subject}`);
  const log = await api(s.url, 'GET', `${O}/notification-deliveries?limit=200`, { token: ada.token });
  assertNoSecret(log.text, 'delivery log');
  assertNoSecret(s.logs, 'the server log');
});

test('without --allow-private-targets a loopback or private URL is refused before anything is sent', async () => {
  const strict = await startWharf({ strictTargets: true });
  try {
    const u = await signup(strict.url, 'sam');
    for (const url of [`${rx.url}/hook`, 'https://127.0.0.1/x', 'https://10.0.0.8/x', 'https://[::1]:8443/x', 'http://hooks.example.test/x']) {
      const r = await api(strict.url, 'POST', `/api/v1/orgs/${u.org.slug}/notification-channels`, { token: u.token, body: { name: 'x', type: 'webhook', url } });
      assert.equal(r.status, 400, `${url}: ${r.text}`);
      assert.ok(r.json.error.details.fields.url, r.text);
    }
  } finally {
    await strict.stop();
    strict.cleanup();
  }
});
