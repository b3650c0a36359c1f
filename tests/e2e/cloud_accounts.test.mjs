// AWS cloud accounts (compute credentials) and security-group sync to EC2, against RECORDED AWS
// responses served from 127.0.0.1 (lib/aws_recorded.mjs): AWS's endpoints cannot be reached here
// and there is no EC2 emulator. The recorded server verifies every request's SigV4 signature with
// AWS's own @aws-sdk/signature-v4 against the configured secret. What ran live: Wharf's HTTP
// client, its SigV4 signer and its XML parsing, against that server; what is recorded: AWS's
// answers. The secrets never come back, and never reach the log or the database in plain text.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startWharf, api, signup, memberWithRole, databaseBytes, freePort } from './lib/harness.mjs';
import { startRecordedAws, startSilentServer } from './lib/aws_recorded.mjs';
import { cliUser } from './lib/cli.mjs';

const secret = () => crypto.randomBytes(30).toString('base64');  // 40 characters, like AWS's
const K = {
  good: ['AKIAWHARFGOOD0000001', secret()],
  limited: ['AKIAWHARFLIMITED0001', secret()],
  scp: ['AKIAWHARFSCPDENY0001', secret()],
  optin: ['AKIAWHARFOPTINREQ001', secret()],
  throttleOnce: ['AKIAWHARFTHROTTLE001', secret()],
  throttleAlways: ['AKIAWHARFTHROTTLE002', secret()],
  temp: ['ASIAWHARFSESSION0001', secret(), `IQoJb3JpZ2luX2VjE${crypto.randomBytes(60).toString('base64')}`],
  expired: ['ASIAWHARFEXPIRED0001', secret(), `IQoJb3JpZ2luX2VjE${crypto.randomBytes(60).toString('base64')}`],
};
const SECRETS = Object.values(K).flatMap(([, s, t]) => (t ? [s, t] : [s]));
let aws, s, ada;
const seen = [];
const O = () => `/api/v1/orgs/${ada.org.slug}`;
async function call(method, p, body, token = ada.token) {
  const r = await api(s.url, method, p, { token, body });
  seen.push(r.text);
  return r;
}
const names = (r) => r.json.checks.map((c) => [c.name, c.status]);
const check = (r, name) => r.json.checks.find((c) => c.name === name);
const accounts = {};
async function account(name, [key, sec, token], extra = {}) {
  const r = await call('POST', `${O()}/cloud-accounts`, { name, provider: 'aws', access_key_id: key, secret_access_key: sec,
    ...(token ? { session_token: token } : {}), region: 'eu-west-1', ...extra });
  assert.equal(r.status, 201, r.text);
  accounts[name] = r.json;
  return r.json;
}

before(async () => {
  aws = await startRecordedAws({ accounts: {
    [K.good[0]]: { secret: K.good[1], account: '111122223333', user: 'wharf' },
    [K.limited[0]]: { secret: K.limited[1], account: '111122223333', user: 'limited', deny: ['ec2:RunInstances', 'ec2:CreateTags'] },
    [K.scp[0]]: { secret: K.scp[1], account: '444455556666', user: 'scp', accessDenied: ['ec2:DescribeSecurityGroups'] },
    [K.optin[0]]: { secret: K.optin[1], account: '777788889999', user: 'new', optInRequired: true },
    [K.throttleOnce[0]]: { secret: K.throttleOnce[1], account: '111122223333', user: 'busy', throttle: 2 },
    [K.throttleAlways[0]]: { secret: K.throttleAlways[1], account: '111122223333', user: 'busier', throttle: Infinity },
    [K.temp[0]]: { secret: K.temp[1], sessionToken: K.temp[2], account: '111122223333', user: 'deployer' },
    [K.expired[0]]: { secret: K.expired[1], sessionToken: K.expired[2], tokenExpired: true, account: '111122223333', user: 'old' },
  } });
  s = await startWharf({ args: ['--aws-endpoint-override', aws.url] });
  ada = await signup(s.url, 'ada');
});
after(async () => { await s?.stop(); s?.cleanup(); await aws?.stop(); });

test('cloud accounts: formats are validated by field, secrets are write-only, a duplicate key names the existing record', async () => {
  const good = await account('prod', K.good);
  assert.equal(good.access_key_id, K.good[0]);
  assert.deepEqual(good.secret_access_key, { set: true });
  assert.deepEqual(good.session_token, { set: false });
  assert.equal(good.region, 'eu-west-1');
  assert.equal(good.provider, 'aws');
  assert.equal(good.credential_use, 'compute');
  assert.equal(good.verified, false);
  assert.ok(good.id.startsWith('aws_'));
  const dup = await call('POST', `${O()}/cloud-accounts`, { name: 'again', provider: 'aws', access_key_id: K.good[0], secret_access_key: secret(), region: 'us-east-1' });
  assert.equal(dup.status, 409);
  assert.match(dup.json.error.message, new RegExp(`already connected .*'prod' \\(${good.id}\\)`));
  assert.equal(dup.json.error.details.existing.id, good.id);
  const base = { name: 'x', provider: 'aws', access_key_id: 'AKIAWHARFOTHER000001', secret_access_key: secret(), region: 'eu-west-1' };
  for (const [patch, field, says] of [
    [{ access_key_id: 'AKIA123' }, 'access_key_id', /20 characters, AKIA/],
    [{ access_key_id: 'XKIAWHARFOTHER000001' }, 'access_key_id', /AKIA/],
    [{ secret_access_key: 'short' }, 'secret_access_key', /40-character.*it was 5 characters/],
    [{ region: 'Europe (Ireland)' }, 'region', /region name such as eu-west-1/],
    [{ region: 'EU-WEST-1' }, 'region', /lower case/],
    [{ provider: 'gcp' }, 'provider', /"aws"/],
    [{ access_key_id: 'ASIAWHARFOTHER000001' }, 'session_token', /required with a temporary \(ASIA…\)/],
    [{ session_token: 'tok' }, 'session_token', /only used with temporary/],
    [{ session_expires_at: 'tomorrow' }, 'session_expires_at', /RFC 3339/],
    [{ endpoint: 'http://x' }, 'endpoint', /not a known field/],
  ]) {
    const r = await call('POST', `${O()}/cloud-accounts`, { ...base, ...patch });
    assert.equal(r.status, 400, `${JSON.stringify(patch)}: ${r.text}`);
    assert.match(r.json.error.details.fields[field], says, r.text);
    assert.ok(!r.text.includes(base.secret_access_key), 'the secret is never echoed');
  }
  const temp = await account('temp', K.temp, { session_expires_at: '2099-01-01T00:00:00Z' });
  assert.deepEqual(temp.session_token, { set: true });
  assert.equal(temp.expires_at, '2099-01-01T00:00:00.000Z');
  const list = await call('GET', `${O()}/cloud-accounts`);
  assert.deepEqual(list.json.items.map((x) => x.name).sort(), ['prod', 'temp']);
});

test('recorded AWS responses: a good key verifies with STS GetCallerIdentity and an EC2 DryRun of every action; signatures checked', async () => {
  const before = aws.requests.length;
  const r = await call('POST', `${O()}/cloud-accounts/${accounts.prod.id}/verify`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.ok, true, r.text);
  assert.deepEqual(names(r), [
    ['sts:GetCallerIdentity', 'passed'], ['ec2:DescribeSecurityGroups', 'passed'], ['ec2:DescribeInstances', 'passed'],
    ['ec2:RunInstances', 'passed'], ['ec2:CreateSecurityGroup', 'passed'], ['ec2:AuthorizeSecurityGroupIngress', 'passed'],
    ['ec2:RevokeSecurityGroupIngress', 'passed'], ['ec2:AuthorizeSecurityGroupEgress', 'passed'],
    ['ec2:RevokeSecurityGroupEgress', 'passed'], ['ec2:DeleteSecurityGroup', 'passed'], ['ec2:CreateTags', 'passed']]);
  assert.equal(r.json.account_id, '111122223333');
  assert.equal(r.json.arn, 'arn:aws:iam::111122223333:user/wharf');
  assert.match(check(r, 'ec2:RunInstances').message, /DryRunOperation/);
  const sent = aws.requests.slice(before);
  assert.equal(sent.length, 11);
  for (const q of sent) {
    assert.equal(q.key, K.good[0]);
    assert.equal(q.region, 'eu-west-1');
    assert.notEqual(q.code, 'SignatureDoesNotMatch', 'every signature verified with @aws-sdk/signature-v4');
    assert.match(q.headers['content-type'], /application\/x-www-form-urlencoded/);
  }
  assert.deepEqual(sent.map((q) => [q.service, q.action, q.dryRun]).slice(0, 3),
    [['sts', 'GetCallerIdentity', false], ['ec2', 'DescribeSecurityGroups', false], ['ec2', 'DescribeInstances', true]]);
  assert.ok(sent.slice(2).every((q) => q.dryRun && q.code === 'DryRunOperation'), 'nothing was changed on EC2');
  const row = (await call('GET', `${O()}/cloud-accounts/${accounts.prod.id}`)).json;
  assert.equal(row.verified, true);
  assert.ok(row.last_verified_at);
  assert.equal(row.last_error, null);
  assert.equal(row.account_id, '111122223333');
  assert.equal(row.arn, 'arn:aws:iam::111122223333:user/wharf');
  // A temporary key signs with its session token (X-Amz-Security-Token); the ARN is the assumed role.
  const t = await call('POST', `${O()}/cloud-accounts/${accounts.temp.id}/verify`, {});
  assert.equal(t.json.ok, true, t.text);
  assert.match(t.json.arn, /assumed-role\/deployer/);
  assert.equal(aws.requests.at(-1).headers['x-amz-security-token'], K.temp[2]);
  // Another region is a body field; the signature's scope follows it.
  const us = await call('POST', `${O()}/cloud-accounts/${accounts.prod.id}/verify`, { region: 'us-east-2' });
  assert.equal(us.json.ok, true, us.text);
  assert.equal(us.json.region, 'us-east-2');
  assert.equal(aws.requests.at(-1).region, 'us-east-2');
});

test('recorded AWS responses: each AWS error becomes layer aws_iam with its hint (the seed\'s "AccessDenied on AWS API" row included)', async () => {
  await account('unknown-key', ['AKIAWHARFNOSUCHKEY01', secret()]);
  const cases = [
    // [account, body to create or null, failing check, AWS code, message pattern, fix pattern]
    ['unknown-key', null, 'sts:GetCallerIdentity', 'InvalidClientTokenId', /does not know this access key id/, /Create a new access key/],
    ['limited', K.limited, 'ec2:RunInstances', 'UnauthorizedOperation', /may not call ec2:RunInstances/, /Allow the IAM action ec2:RunInstances/],
    ['scp', K.scp, 'ec2:DescribeSecurityGroups', 'AccessDenied', /may not call ec2:DescribeSecurityGroups.*explicit deny in a service control policy/, /Service Control Policy/],
    ['optin', K.optin, 'ec2:DescribeSecurityGroups', 'OptInRequired', /not subscribed to ec2 in eu-west-1/, /sign-up|enable the region/],
    ['throttled', K.throttleAlways, 'ec2:DescribeSecurityGroups', 'RequestLimitExceeded', /throttled ec2:DescribeSecurityGroups after Wharf retried with backoff/, /Wait a minute/],
    ['expired', K.expired, 'sts:GetCallerIdentity', 'ExpiredToken', /session token expired/, /Get fresh ones/],
  ];
  for (const [name, creds, failing, code, says, fix] of cases) {
    const acc = creds ? await account(name, creds) : accounts[name];
    const r = await call('POST', `${O()}/cloud-accounts/${acc.id}/verify`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.ok, false, `${name}: ${r.text}`);
    const c = check(r, failing);
    assert.equal(c.status, 'failed', `${name}: ${r.text}`);
    assert.equal(c.layer, 'aws_iam', name);
    assert.ok(c.message.includes(code), `${name}: AWS's code is quoted: ${c.message}`);
    assert.match(c.message, says, name);
    assert.match(c.fix, fix, name);
    const row = (await call('GET', `${O()}/cloud-accounts/${acc.id}`)).json;
    assert.equal(row.verified, false);
    assert.equal(row.last_error.layer, 'aws_iam');
    assert.equal(row.last_error.check, failing);
  }
  // The limited key fails only the actions it lacks; the rest still pass.
  const lim = await call('POST', `${O()}/cloud-accounts/${accounts.limited.id}/verify`);
  assert.deepEqual(lim.json.checks.filter((c) => c.status === 'failed').map((c) => c.name), ['ec2:RunInstances', 'ec2:CreateTags']);
  assert.equal(lim.json.checks.filter((c) => c.status === 'passed').length, 9);
  // A credential-level failure skips the rest.
  const exp = await call('POST', `${O()}/cloud-accounts/${accounts.expired.id}/verify`);
  assert.equal(exp.json.checks.filter((c) => c.status === 'skipped').length, 10);
  assert.ok(exp.json.session_expired_at, 'the expiry is recorded');
  assert.ok((await call('GET', `${O()}/cloud-accounts/${accounts.expired.id}`)).json.expires_at);
  // Credentials close to expiry (or past it) are listed; the 2099 session is not.
  const soon = await call('GET', `${O()}/cloud-accounts?expiring_within_days=7`);
  assert.deepEqual(soon.json.items.map((x) => x.name), ['expired']);
  assert.equal((await call('GET', `${O()}/cloud-accounts?expiring_within_days=soon`)).status, 400);
  // SignatureDoesNotMatch: the right key id with another secret.
  const sig = await call('POST', `${O()}/cloud-accounts/test`, { provider: 'aws', access_key_id: K.good[0], secret_access_key: secret(), region: 'eu-west-1' });
  assert.equal(check(sig, 'sts:GetCallerIdentity').layer, 'aws_iam');
  assert.match(check(sig, 'sts:GetCallerIdentity').message, /SignatureDoesNotMatch/);
  assert.match(check(sig, 'sts:GetCallerIdentity').fix, /secret access key does not belong/);
  // Throttled twice, then served: Wharf's backoff gets through and says so.
  const busy = await call('POST', `${O()}/cloud-accounts/test`, { provider: 'aws', access_key_id: K.throttleOnce[0], secret_access_key: K.throttleOnce[1], region: 'eu-west-1' });
  assert.equal(busy.json.ok, true, busy.text);
  assert.match(check(busy, 'ec2:DescribeSecurityGroups').message, /after 2 throttled retries/);
  // A wrong region: an opt-in region the account has not enabled.
  const off = await call('POST', `${O()}/cloud-accounts/${accounts.prod.id}/verify`, { region: 'af-south-1' });
  assert.equal(check(off, 'sts:GetCallerIdentity').layer, 'aws_iam');
  assert.match(check(off, 'sts:GetCallerIdentity').fix, /af-south-1 is an opt-in region not enabled/);
  const bad = await call('POST', `${O()}/cloud-accounts/${accounts.prod.id}/verify`, { region: 'Ireland' });
  assert.equal(bad.status, 400);
  assert.ok(bad.json.error.details.fields.region);
  // /test saved nothing.
  assert.ok(!(await call('GET', `${O()}/cloud-accounts`)).json.items.some((x) => x.name === 'test'));
});

test('recorded AWS responses: network failures are layer network: wrong region (DNS), refused, timeout', async () => {
  const silent = await startSilentServer();
  const closed = await freePort();
  const servers = [];
  try {
    const cases = [
      // A region that does not exist: its endpoint does not resolve (the test resolver answers nothing).
      [`http://{service}.{region}.aws-recorded.invalid:${aws.port}`, 'eu-west-9', /Wrong region\? .*eu-west-9.*not a region AWS has announced/, /Check the region name/],
      [`http://{service}.{region}.aws-recorded.invalid:${aws.port}`, 'eu-west-1', /DNS failure: .*does not resolve/, /DNS resolver/],
      [`http://127.0.0.1:${closed}`, 'eu-west-1', /Connection refused or unreachable/, /outbound HTTPS/],
      [`http://127.0.0.1:${silent.port}`, 'eu-west-1', /Timed out/, /filtered or very slow/],
    ];
    for (const [override, region, says, fix] of cases) {
      const w = await startWharf({ args: ['--aws-endpoint-override', override, '--aws-timeout-ms', '1000'] });
      servers.push(w);
      const u = await signup(w.url, 'net');
      const r = await api(w.url, 'POST', `/api/v1/orgs/${u.org.slug}/cloud-accounts/test`,
        { token: u.token, body: { provider: 'aws', access_key_id: K.good[0], secret_access_key: K.good[1], region } });
      assert.equal(r.status, 200, r.text);
      const c = check(r, 'sts:GetCallerIdentity');
      assert.equal(c.status, 'failed', r.text);
      assert.equal(c.layer, 'network', r.text);
      assert.match(c.message, says, r.text);
      assert.match(c.fix, fix);
      assert.equal(r.json.checks.filter((x) => x.status === 'skipped').length, 10);
    }
    // Without the override the endpoints are AWS's own regional ones.
    const prod = await startWharf();
    servers.push(prod);
    const u = await signup(prod.url, 'prod');
    const r = await api(prod.url, 'POST', `/api/v1/orgs/${u.org.slug}/cloud-accounts/test`,
      { token: u.token, body: { provider: 'aws', access_key_id: K.good[0], secret_access_key: K.good[1], region: 'eu-west-1' } });
    assert.deepEqual(r.json.endpoints, { sts: 'https://sts.eu-west-1.amazonaws.com', ec2: 'https://ec2.eu-west-1.amazonaws.com' });
    assert.equal(check(r, 'sts:GetCallerIdentity').layer, 'network', 'the test resolver answers nothing, so nothing left 127.0.0.0/8');
  } finally {
    for (const w of servers) { await w.stop(); w.cleanup(); }
    await silent.stop();
  }
});

let sg, link;
test('recorded AWS responses: security-group sync creates, tags and authorizes (IPv6 through Ipv6Ranges); drift; revoke', async () => {
  const g = await call('POST', `${O()}/security-groups`, { name: 'web', description: 'Web servers',
    inbound: [{ type: 'ssh', source: '203.0.113.0/24', description: 'office' }, { type: 'https', source: 'anywhere' },
      { type: 'https', source: 'anywhere-ipv6' }] });
  assert.equal(g.status, 201, g.text);
  sg = g.json;
  const noVpc = await call('POST', `${O()}/security-groups/${sg.id}/sync`, { cloud_account_id: accounts.prod.id });
  assert.equal(noVpc.status, 400);
  assert.match(noVpc.json.error.details.fields.vpc_id, /is required for the first sync/);
  const badVpc = await call('POST', `${O()}/security-groups/${sg.id}/sync`, { cloud_account_id: accounts.prod.id, vpc_id: 'vpc-nope' });
  assert.equal(badVpc.status, 400);
  const r = await call('POST', `${O()}/security-groups/${sg.id}/sync`, { cloud_account_id: accounts.prod.id, vpc_id: aws.vpc });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.ok, true, r.text);
  assert.equal(r.json.created, true);
  assert.match(r.json.ec2_group_id, /^sg-0/);
  assert.deepEqual(r.json.authorized.inbound, ['tcp 22 203.0.113.0/24', 'tcp 443 0.0.0.0/0', 'tcp 443 ::/0']);
  assert.deepEqual(r.json.authorized.outbound, ['all ::/0'], 'EC2 creates the IPv4 allow-all egress itself');
  assert.deepEqual(r.json.revoked, { inbound: [], outbound: [] });
  link = r.json.ec2_group_id;
  const ec2 = aws.group(link);
  assert.equal(ec2.name, `wharf-${ada.org.slug}-web`);
  assert.equal(ec2.vpc, aws.vpc);
  assert.deepEqual(ec2.tags, { 'wharf:org': ada.org.slug, 'wharf:security-group': sg.id, Name: 'web' });
  assert.deepEqual(ec2.ingress.map((x) => [x.protocol, x.from, x.cidr, x.description]),
    [['tcp', 22, '203.0.113.0/24', 'office'], ['tcp', 443, '0.0.0.0/0', ''], ['tcp', 443, '::/0', '']]);
  const v6 = aws.requests.find((q) => q.action === 'AuthorizeSecurityGroupIngress' && !q.dryRun);
  assert.match(v6.body, /IpPermissions\.3\.Ipv6Ranges\.1\.CidrIpv6=%3A%3A%2F0/, 'IPv6 goes through Ipv6Ranges');
  const links = await call('GET', `${O()}/security-groups/${sg.id}/ec2`);
  assert.deepEqual(links.json.items.map((l) => [l.ec2_group_id, l.region, l.vpc_id, l.cloud_account_id]), [[link, 'eu-west-1', aws.vpc, accounts.prod.id]]);

  const q = `cloud_account_id=${accounts.prod.id}`;
  let d = await call('GET', `${O()}/security-groups/${sg.id}/drift?${q}`);
  assert.equal(d.status, 200, d.text);
  assert.equal(d.json.in_sync, true, d.text);
  // Someone edits the group in the EC2 console: opens 3306 to the world and removes SSH.
  ec2.ingress.push({ protocol: 'tcp', from: 3306, to: 3306, cidr: '0.0.0.0/0', description: 'temp' });
  ec2.ingress.splice(0, 1);
  d = await call('GET', `${O()}/security-groups/${sg.id}/drift?${q}`);
  assert.equal(d.json.in_sync, false);
  assert.deepEqual(d.json.missing, { inbound: ['tcp 22 203.0.113.0/24'], outbound: [] });
  assert.deepEqual(d.json.extra, { inbound: ['tcp 3306 0.0.0.0/0'], outbound: [] });
  // Sync puts Wharf's rules back; then a Wharf edit revokes what it drops.
  const again = await call('POST', `${O()}/security-groups/${sg.id}/sync`, { cloud_account_id: accounts.prod.id });
  assert.equal(again.json.created, false);
  assert.deepEqual(again.json.authorized.inbound, ['tcp 22 203.0.113.0/24']);
  assert.deepEqual(again.json.revoked.inbound, ['tcp 3306 0.0.0.0/0']);
  assert.equal((await call('PATCH', `${O()}/security-groups/${sg.id}`, { inbound: [{ type: 'ssh', source: '203.0.113.0/24' }] })).status, 200);
  const shrink = await call('POST', `${O()}/security-groups/${sg.id}/sync`, { cloud_account_id: accounts.prod.id });
  assert.deepEqual(shrink.json.revoked.inbound, ['tcp 443 0.0.0.0/0', 'tcp 443 ::/0']);
  assert.deepEqual(ec2.ingress.map((x) => x.cidr), ['203.0.113.0/24']);
  assert.equal((await call('GET', `${O()}/security-groups/${sg.id}/drift?${q}`)).json.in_sync, true);
  // Deleted outside Wharf: drift says so; sync creates it again.
  aws.groups.delete(link);
  d = await call('GET', `${O()}/security-groups/${sg.id}/drift?${q}`);
  assert.equal(d.json.exists, false);
  assert.match(d.json.steps[0].message, /no longer exists/);
  const re = await call('POST', `${O()}/security-groups/${sg.id}/sync`, { cloud_account_id: accounts.prod.id });
  assert.equal(re.json.created, true, re.text);
  assert.notEqual(re.json.ec2_group_id, link);
  link = re.json.ec2_group_id;
});

test('recorded AWS responses: sync reports IAM and region failures by step; delete reaches AWS', async () => {
  // The limited key may not tag: the step names the IAM action.
  const lim = await call('POST', `${O()}/security-groups/${sg.id}/sync`, { cloud_account_id: accounts.limited.id, vpc_id: aws.vpc });
  assert.equal(lim.json.ok, false);
  assert.match(lim.json.steps.find((x) => x.name === 'create').message, /Adopted sg-0.*wharf:security-group=/, 'same AWS account: the group is adopted, not duplicated');
  const tag = lim.json.steps.find((x) => x.name === 'tag');
  assert.equal(tag.layer, 'aws_iam');
  assert.match(tag.message, /UnauthorizedOperation.*may not call ec2:CreateTags|may not call ec2:CreateTags.*UnauthorizedOperation/);
  // An opt-in region the account has not enabled: EC2 answers AuthFailure.
  const off = await call('POST', `${O()}/security-groups/${sg.id}/sync`, { cloud_account_id: accounts.prod.id, region: 'me-south-1', vpc_id: aws.vpc });
  const create = off.json.steps.find((x) => x.name === 'create');
  assert.equal(create.layer, 'aws_iam');
  assert.match(create.message, /AuthFailure/);
  assert.match(create.fix, /opt-in region/);
  // The account cannot be removed while it manages EC2 groups.
  const del = await call('DELETE', `${O()}/cloud-accounts/${accounts.prod.id}`);
  assert.equal(del.status, 409);
  assert.equal(del.json.error.details.ec2_groups[0].ec2_group_id, link);
  // Explicit delete on EC2.
  const q = `cloud_account_id=${accounts.prod.id}&region=eu-west-1`;
  const gone = await call('DELETE', `${O()}/security-groups/${sg.id}/ec2?${q}`);
  assert.equal(gone.json.ok, true, gone.text);
  assert.equal(aws.group(link), undefined);
  const left = (await call('GET', `${O()}/security-groups/${sg.id}/ec2`)).json.items;
  assert.deepEqual(left.map((l) => l.cloud_account_id), [accounts.limited.id], 'only the limited account\'s adoption is left');
  // Deleting the Wharf group deletes its EC2 group; an EC2 group in use keeps both (409, layer aws_iam).
  link = (await call('POST', `${O()}/security-groups/${sg.id}/sync`, { cloud_account_id: accounts.prod.id, vpc_id: aws.vpc })).json.ec2_group_id;
  aws.group(link).inUse = true;
  const busy = await call('DELETE', `${O()}/security-groups/${sg.id}`);
  assert.equal(busy.status, 409, busy.text);
  assert.equal(busy.json.error.layer, 'aws_iam');
  assert.match(busy.json.error.message, /DependencyViolation/);
  assert.equal((await call('GET', `${O()}/security-groups/${sg.id}`)).status, 200);
  aws.group(link).inUse = false;
  assert.equal((await call('DELETE', `${O()}/security-groups/${sg.id}`)).status, 204);
  assert.equal(aws.group(link), undefined, 'DeleteSecurityGroup reached EC2');
  assert.equal((await call('DELETE', `${O()}/cloud-accounts/${accounts['unknown-key'].id}`)).status, 204);
});

test('recorded AWS responses: diagnose {cloud_account_id} runs the verify, failing items first, in layer aws_iam', async () => {
  const d = await call('POST', `${O()}/diagnose`, { cloud_account_id: accounts.limited.id });
  assert.equal(d.status, 200, d.text);
  assert.equal(d.json.layer, 'aws_iam');
  assert.equal(d.json.subject, 'cloud_account');
  assert.deepEqual(d.json.checklist.slice(0, 2).map((c) => [c.name, c.status, c.layer]),
    [['ec2:RunInstances', 'failed', 'aws_iam'], ['ec2:CreateTags', 'failed', 'aws_iam']]);
  assert.match(d.json.checklist[0].fix, /ec2:RunInstances/);
  // The seed's row, pasted: "AccessDenied on AWS API" with the account it came from.
  const pasted = await call('POST', `${O()}/diagnose`, { cloud_account_id: accounts.scp.id,
    error_text: 'An error occurred (AccessDenied) when calling the DescribeSecurityGroups operation' });
  assert.equal(pasted.json.layer, 'aws_iam');
  assert.equal(pasted.json.checklist[0].name, 'ec2:DescribeSecurityGroups');
  assert.equal(pasted.json.checklist[0].status, 'failed');
  const ok = await call('POST', `${O()}/diagnose`, { cloud_account_id: accounts.temp.id, region: 'eu-west-1' });
  assert.ok(ok.json.checklist.every((c) => c.status === 'passed'), ok.text);
});

test('a member who may only read cloud accounts sees {set} and cannot verify or sync', async () => {
  const viewer = await memberWithRole(s.url, ada, 'viewer', { cloudProviderAccounts: { read: true }, securityGroups: { read: true, update: true } });
  const got = await call('GET', `${O()}/cloud-accounts/${accounts.temp.id}`, undefined, viewer.token);
  assert.equal(got.status, 200);
  assert.deepEqual(got.json.secret_access_key, { set: true });
  assert.deepEqual(got.json.session_token, { set: true });
  const v = await call('POST', `${O()}/cloud-accounts/${accounts.temp.id}/verify`, {}, viewer.token);
  assert.equal(v.status, 403);
  assert.equal(v.json.error.details.permission, 'cloudProviderAccounts.update');
  const g = await call('POST', `${O()}/security-groups`, { name: 'db', inbound: [{ type: 'postgresql', source: '10.0.0.0/8' }] });
  const sync = await call('POST', `${O()}/security-groups/${g.json.id}/sync`, { cloud_account_id: accounts.temp.id, vpc_id: aws.vpc }, viewer.token);
  assert.equal(sync.status, 403);
  assert.equal(sync.json.error.details.permission, 'cloudProviderAccounts.update');
});

test('the CLI: wharf cloud-account add/list/show/verify/remove and wharf security-group sync/drift', async () => {
  const cli = cliUser('ada-aws');
  const env = { WHARF_URL: s.url, WHARF_TOKEN: ada.token, WHARF_ORG: ada.org.slug, AWS_SECRET_ACCESS_KEY: K.good[1] };
  const add = await cli.run(['cloud-account', 'add', 'cli-acc', '--access-key-id', 'AKIAWHARFCLIKEY00001', '--region', 'eu-west-1'],
    { env: { ...env, AWS_SECRET_ACCESS_KEY: secret() } });
  assert.equal(add.code, 0, add.stdout + add.stderr);
  const list = await cli.run(['cloud-account', 'list'], { env });
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /cli-acc/);
  assert.match(list.stdout, /AKIAWHARFCLIKEY00001/);
  const show = await cli.run(['cloud-account', 'show', 'prod'], { env });
  assert.equal(show.code, 0, show.stderr);
  const ver = await cli.run(['cloud-account', 'verify', 'prod'], { env });
  assert.equal(ver.code, 0, ver.stdout + ver.stderr);
  assert.match(ver.stdout, /ec2:RunInstances/);
  const bad = await cli.run(['cloud-account', 'verify', 'limited'], { env });
  assert.equal(bad.code, 1, bad.stdout + bad.stderr);
  assert.match(bad.stdout, /aws_iam/);
  const doc = await cli.run(['doctor', '--cloud-account', 'limited'], { env });
  assert.equal(doc.code, 1, doc.stdout + doc.stderr);
  assert.match(doc.stdout, /Layer: aws_iam/);
  assert.match(doc.stdout, /ec2:RunInstances/);
  const g = await call('POST', `${O()}/security-groups`, { name: 'cli-web', inbound: [{ type: 'http', source: 'anywhere' }] });
  assert.equal(g.status, 201, g.text);
  const sync = await cli.run(['security-group', 'sync', 'cli-web', '--cloud-account', 'prod', '--vpc', aws.vpc], { env });
  assert.equal(sync.code, 0, sync.stdout + sync.stderr);
  assert.match(sync.stdout, /sg-0/);
  const drift = await cli.run(['security-group', 'drift', 'cli-web', '--cloud-account', 'prod'], { env });
  assert.equal(drift.code, 0, drift.stdout + drift.stderr);
  assert.match(drift.stdout, /in sync/i);
  const rm = await cli.run(['cloud-account', 'remove', 'cli-acc'], { env });
  assert.equal(rm.code, 0, rm.stdout + rm.stderr);
  for (const x of SECRETS) assert.ok(!(add.stdout + list.stdout + show.stdout + ver.stdout + bad.stdout).includes(x));
});

test('the secret keys and session tokens never appear in any response, the wharf log or the database', async () => {
  const logFile = readFileSync(path.join(s.dataDir, 'wharf.log'), 'utf8');
  const db = Buffer.from(await databaseBytes(s), 'latin1');
  assert.ok(logFile.includes('cloud-accounts'), 'the log file is the one in use');
  for (const x of SECRETS) {
    for (const body of seen) assert.ok(!body.includes(x), 'a response contains a secret');
    assert.ok(!s.logs.includes(x), 'the wharf output contains a secret');
    assert.ok(!logFile.includes(x), 'wharf.log contains a secret');
    assert.ok(!db.includes(x), 'the database holds a secret in plain text');
  }
  assert.ok(seen.length > 40);
});
