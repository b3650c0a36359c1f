// Recorded AWS responses for STS and EC2, served from 127.0.0.1. AWS's own endpoints cannot be
// reached from the test machine and there is no EC2 emulator, so this server:
//   - VERIFIES every request's SigV4 signature with AWS's own @aws-sdk/signature-v4 against the
//     configured secret (and session token), and answers a mismatch with AWS's real error
//     documents (STS: InvalidClientTokenId / SignatureDoesNotMatch / ExpiredToken; EC2: AuthFailure);
//   - otherwise answers with RECORDED response documents in AWS's real shapes (STS
//     GetCallerIdentity; EC2 DryRunOperation / UnauthorizedOperation / OptInRequired /
//     RequestLimitExceeded / DescribeSecurityGroups / CreateSecurityGroup / …), keeping the
//     security groups' state so sync → drift → revoke → delete can be followed.
// Tests that use it are named "recorded AWS responses". Each account is keyed by its access key id.
import http from 'node:http';
import net from 'node:net';
import crypto from 'node:crypto';
import { SignatureV4 } from '@aws-sdk/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';

const EC2_NS = 'http://ec2.amazonaws.com/doc/2016-11-15/';
const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';
// Opt-in regions (not enabled for an account unless `enabledRegions` says so).
const OPT_IN = new Set(['af-south-1', 'ap-east-1', 'ap-south-2', 'ap-southeast-3', 'ap-southeast-4', 'ca-west-1',
  'eu-central-2', 'eu-south-1', 'eu-south-2', 'il-central-1', 'me-central-1', 'me-south-1']);

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const reqId = () => crypto.randomUUID();

function stsError(status, code, message, type = 'Sender') {
  return { status, body: `<ErrorResponse xmlns="${STS_NS}">\n  <Error>\n    <Type>${type}</Type>\n    <Code>${code}</Code>\n    <Message>${esc(message)}</Message>\n  </Error>\n  <RequestId>${reqId()}</RequestId>\n</ErrorResponse>\n` };
}
function ec2Error(status, code, message) {
  return { status, body: `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>${esc(message)}</Message></Error></Errors><RequestID>${reqId()}</RequestID></Response>` };
}
const ec2Ok = (action, inner) => ({ status: 200, body: `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${EC2_NS}">\n    <requestId>${reqId()}</requestId>\n${inner}\n</${action}Response>` });

// IpPermissions.N.* → [{protocol, from, to, cidr, description}], one per range.
function parsePermissions(params) {
  const perms = {};
  for (const [k, v] of Object.entries(params)) {
    const m = k.match(/^IpPermissions\.(\d+)\.(.+)$/);
    if (!m) continue;
    (perms[m[1]] ||= {})[m[2]] = v;
  }
  const out = [];
  for (const p of Object.values(perms)) {
    const protocol = p.IpProtocol;
    const from = protocol === '-1' ? -1 : Number(p.FromPort ?? -1);
    const to = protocol === '-1' ? -1 : Number(p.ToPort ?? -1);
    for (const [k, v] of Object.entries(p)) {
      let m = k.match(/^IpRanges\.(\d+)\.CidrIp$/);
      if (m) out.push({ protocol, from, to, cidr: v, description: p[`IpRanges.${m[1]}.Description`] || '' });
      m = k.match(/^Ipv6Ranges\.(\d+)\.CidrIpv6$/);
      if (m) out.push({ protocol, from, to, cidr: v, description: p[`Ipv6Ranges.${m[1]}.Description`] || '' });
    }
  }
  return out;
}
const ruleKey = (r) => `${r.protocol} ${r.from} ${r.to} ${r.cidr}`;

function permissionsXml(rules) {
  // EC2 groups the ranges of one protocol/port range into one item.
  const groups = new Map();
  for (const r of rules) {
    const k = `${r.protocol} ${r.from} ${r.to}`;
    if (!groups.has(k)) groups.set(k, { ...r, v4: [], v6: [] });
    (r.cidr.includes(':') ? groups.get(k).v6 : groups.get(k).v4).push(r);
  }
  let x = '';
  for (const g of groups.values()) {
    x += '                <item>\n';
    x += `                    <ipProtocol>${g.protocol}</ipProtocol>\n`;
    if (g.protocol !== '-1') x += `                    <fromPort>${g.from}</fromPort>\n                    <toPort>${g.to}</toPort>\n`;
    x += '                    <groups/>\n                    <ipRanges>\n';
    for (const r of g.v4) x += `                        <item>\n                            <cidrIp>${r.cidr}</cidrIp>\n${r.description ? `                            <description>${esc(r.description)}</description>\n` : ''}                        </item>\n`;
    x += '                    </ipRanges>\n                    <ipv6Ranges>\n';
    for (const r of g.v6) x += `                        <item>\n                            <cidrIpv6>${r.cidr}</cidrIpv6>\n${r.description ? `                            <description>${esc(r.description)}</description>\n` : ''}                        </item>\n`;
    x += '                    </ipv6Ranges>\n                    <prefixListIds/>\n                </item>\n';
  }
  return x;
}

function groupXml(g) {
  const tags = Object.entries(g.tags).map(([k, v]) => `                <item>\n                    <key>${esc(k)}</key>\n                    <value>${esc(v)}</value>\n                </item>\n`).join('');
  return `        <item>\n            <ownerId>${g.owner}</ownerId>\n            <groupId>${g.id}</groupId>\n            <groupName>${esc(g.name)}</groupName>\n` +
    `            <groupDescription>${esc(g.description)}</groupDescription>\n            <vpcId>${g.vpc}</vpcId>\n` +
    `            <ipPermissions>\n${permissionsXml(g.ingress)}            </ipPermissions>\n` +
    `            <ipPermissionsEgress>\n${permissionsXml(g.egress)}            </ipPermissionsEgress>\n` +
    `            <tagSet>\n${tags}            </tagSet>\n        </item>\n`;
}

// accounts: { [accessKeyId]: { secret, sessionToken?, tokenExpired?, account, user, deny?: ['ec2:RunInstances'],
//   accessDenied?: ['ec2:DescribeSecurityGroups'], optInRequired?, throttle?: n (Infinity = always),
//   enabledRegions?: [...] } }
export async function startRecordedAws({ accounts }) {
  const requests = [];  // {service, region, action, key, dryRun, status, code}
  const groups = new Map();  // id → {id, name, description, vpc, owner, region, ingress, egress, tags, inUse}
  const vpcs = new Set(['vpc-0a1b2c3d4e5f67890']);
  const throttled = new Map();
  let nextGroup = 1;
  const defaultGroup = (owner, region) => {
    const id = `sg-0d${crypto.createHash('sha256').update(owner + region).digest('hex').slice(0, 15)}`;
    if (!groups.has(id)) groups.set(id, { id, name: 'default', description: 'default VPC security group', vpc: 'vpc-0a1b2c3d4e5f67890',
      owner, region, ingress: [], egress: [{ protocol: '-1', from: -1, to: -1, cidr: '0.0.0.0/0', description: '' }], tags: {}, isDefault: true });
    return groups.get(id);
  };

  async function verifySignature(req, body, params) {
    const auth = req.headers.authorization || '';
    const m = auth.match(/^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/);
    if (!m) return { error: 'MissingAuthenticationToken' };
    const [, key, , region, service, signedHeaders, signature] = m;
    const acct = accounts[key];
    if (!acct) return { key, region, service, error: 'unknown-key' };
    const headers = {};
    for (const h of signedHeaders.split(';')) headers[h] = req.headers[h];
    const url = new URL(req.url, 'http://x');
    const amzDate = req.headers['x-amz-date'];
    const signingDate = new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`);
    const signer = new SignatureV4({ service, region, sha256: Sha256, applyChecksum: false,  // STS and EC2 sign no x-amz-content-sha256
     
      credentials: { accessKeyId: key, secretAccessKey: acct.secret, ...(acct.sessionToken ? { sessionToken: req.headers['x-amz-security-token'] } : {}) } });
    const signed = await signer.sign({ method: req.method, protocol: 'http:', hostname: req.headers.host.split(':')[0],
      path: url.pathname, query: Object.fromEntries(url.searchParams), headers, body }, { signingDate, signingRegion: region, signingService: service });
    const expected = (signed.headers.authorization || signed.headers.Authorization).match(/Signature=([0-9a-f]{64})/)[1];
    const ok = crypto.timingSafeEqual(Buffer.from(expected), Buffer.from(signature));
    return { key, region, service, acct, error: ok ? null : 'bad-signature', params };
  }

  function sts(v, params) {
    const { acct, region } = v;
    if (acct.sessionToken && v.token !== acct.sessionToken) return stsError(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
    if (acct.tokenExpired) return stsError(403, 'ExpiredToken', 'The security token included in the request is expired');
    if (OPT_IN.has(region) && !(acct.enabledRegions || []).includes(region)) return stsError(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
    if (params.Action !== 'GetCallerIdentity') return stsError(400, 'InvalidAction', `Could not find operation ${params.Action} for version 2011-06-15`);
    const arn = `arn:aws:${acct.sessionToken ? 'sts' : 'iam'}::${acct.account}:${acct.sessionToken ? `assumed-role/${acct.user}/wharf` : `user/${acct.user}`}`;
    return { status: 200, body: `<GetCallerIdentityResponse xmlns="${STS_NS}">\n  <GetCallerIdentityResult>\n    <Arn>${arn}</Arn>\n    <UserId>AIDA${crypto.createHash('md5').update(v.key).digest('hex').slice(0, 17).toUpperCase()}</UserId>\n    <Account>${acct.account}</Account>\n  </GetCallerIdentityResult>\n  <ResponseMetadata>\n    <RequestId>${reqId()}</RequestId>\n  </ResponseMetadata>\n</GetCallerIdentityResponse>\n` };
  }

  function ec2(v, params) {
    const { acct, region, key } = v;
    const action = params.Action;
    if (acct.sessionToken && v.token !== acct.sessionToken) return ec2Error(401, 'AuthFailure', 'AWS was not able to validate the provided access credentials');
    if (acct.tokenExpired) return ec2Error(400, 'RequestExpired', 'Request has expired.');
    if (OPT_IN.has(region) && !(acct.enabledRegions || []).includes(region)) return ec2Error(401, 'AuthFailure', 'AWS was not able to validate the provided access credentials');
    if (acct.optInRequired) return ec2Error(401, 'OptInRequired', 'You are not subscribed to this service. Please go to http://aws.amazon.com to subscribe.');
    if (acct.throttle) {
      const n = throttled.get(key) || 0;
      if (n < acct.throttle) {
        throttled.set(key, n + 1);
        return ec2Error(503, 'RequestLimitExceeded', 'Request limit exceeded.');
      }
    }
    const user = `arn:aws:iam::${acct.account}:user/${acct.user}`;
    if ((acct.accessDenied || []).includes(`ec2:${action}`))
      return stsError(403, 'AccessDenied', `User: ${user} is not authorized to perform: ec2:${action} with an explicit deny in a service control policy`);
    if ((acct.deny || []).includes(`ec2:${action}`))
      return ec2Error(403, 'UnauthorizedOperation', `You are not authorized to perform this operation. User: ${user} is not authorized to perform: ec2:${action} because no identity-based policy allows the ec2:${action} action`);
    if (params.DryRun === 'true') return ec2Error(412, 'DryRunOperation', 'Request would have succeeded, but DryRun flag is set.');
    const notFound = (id) => ec2Error(400, 'InvalidGroup.NotFound', `The security group '${id}' does not exist`);
    const mine = (id) => { const g = groups.get(id); return g && g.owner === acct.account && g.region === region ? g : null; };
    switch (action) {
      case 'DescribeSecurityGroups': {
        defaultGroup(acct.account, region);
        let list = [...groups.values()].filter((g) => g.owner === acct.account && g.region === region);
        const ids = Object.entries(params).filter(([k]) => /^GroupId\.\d+$/.test(k)).map(([, x]) => x);
        if (ids.length) {
          for (const id of ids) if (!mine(id)) return notFound(id);
          list = ids.map(mine);
        }
        for (let i = 1; params[`Filter.${i}.Name`]; ++i) {
          const [name, value] = [params[`Filter.${i}.Name`], params[`Filter.${i}.Value.1`]];
          if (name === 'group-name') list = list.filter((g) => g.name === value);
          else if (name === 'vpc-id') list = list.filter((g) => g.vpc === value);
          else return ec2Error(400, 'InvalidParameterValue', `The filter '${name}' is invalid`);
        }
        return ec2Ok(action, `    <securityGroupInfo>\n${list.map(groupXml).join('')}    </securityGroupInfo>`);
      }
      case 'CreateSecurityGroup': {
        if (!vpcs.has(params.VpcId)) return ec2Error(400, 'InvalidVpcID.NotFound', `The vpc ID '${params.VpcId}' does not exist`);
        if ([...groups.values()].some((g) => g.vpc === params.VpcId && g.region === region && g.owner === acct.account && g.name === params.GroupName))
          return ec2Error(400, 'InvalidGroup.Duplicate', `The security group '${params.GroupName}' already exists for VPC '${params.VpcId}'`);
        const id = `sg-0${String(nextGroup++).padStart(16, '0')}`;
        groups.set(id, { id, name: params.GroupName, description: params.GroupDescription, vpc: params.VpcId, owner: acct.account, region,
          ingress: [], egress: [{ protocol: '-1', from: -1, to: -1, cidr: '0.0.0.0/0', description: '' }], tags: {} });
        return ec2Ok(action, `    <return>true</return>\n    <groupId>${id}</groupId>`);
      }
      case 'AuthorizeSecurityGroupIngress': case 'AuthorizeSecurityGroupEgress':
      case 'RevokeSecurityGroupIngress': case 'RevokeSecurityGroupEgress': {
        const g = mine(params.GroupId);
        if (!g) return notFound(params.GroupId);
        const list = action.endsWith('Ingress') ? g.ingress : g.egress;
        const rules = parsePermissions(params);
        if (action.startsWith('Authorize')) {
          for (const r of rules)
            if (list.some((x) => ruleKey(x) === ruleKey(r)))
              return ec2Error(400, 'InvalidPermission.Duplicate', `the specified rule "peer: ${r.cidr}, ${r.protocol.toUpperCase()}, from port: ${r.from}, to port: ${r.to}, ALLOW" already exists`);
          list.push(...rules);
        } else {
          for (const r of rules)
            if (!list.some((x) => ruleKey(x) === ruleKey(r)))
              return ec2Error(400, 'InvalidPermission.NotFound', 'The specified rule does not exist in this security group.');
          for (const r of rules) list.splice(list.findIndex((x) => ruleKey(x) === ruleKey(r)), 1);
        }
        return ec2Ok(action, '    <return>true</return>');
      }
      case 'CreateTags': {
        const g = mine(params['ResourceId.1']);
        if (!g) return ec2Error(400, 'InvalidID', `The ID '${params['ResourceId.1']}' is not valid`);
        for (let i = 1; params[`Tag.${i}.Key`] !== undefined; ++i) g.tags[params[`Tag.${i}.Key`]] = params[`Tag.${i}.Value`] ?? '';
        return ec2Ok(action, '    <return>true</return>');
      }
      case 'DeleteSecurityGroup': {
        const g = mine(params.GroupId);
        if (!g) return notFound(params.GroupId);
        if (g.isDefault) return ec2Error(400, 'CannotDelete', `the specified group: "${g.id}" name: "default" cannot be deleted by a user`);
        if (g.inUse) return ec2Error(400, 'DependencyViolation', `resource ${g.id} has a dependent object`);
        groups.delete(g.id);
        return ec2Ok(action, '    <return>true</return>');
      }
      case 'DescribeInstances':
        return ec2Ok(action, '    <reservationSet/>');
      default:
        return ec2Error(400, 'InvalidAction', `The action ${action} is not valid for this web service.`);
    }
  }

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const params = Object.fromEntries(new URLSearchParams(body));
      let out;
      let v = {};
      try {
        v = await verifySignature(req, body, params);
        v.token = req.headers['x-amz-security-token'];
        const isSts = v.service === 'sts';
        if (v.error === 'MissingAuthenticationToken') out = stsError(403, 'MissingAuthenticationToken', 'Request is missing Authentication Token');
        else if (v.error === 'unknown-key') out = isSts ? stsError(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.')
          : ec2Error(401, 'AuthFailure', 'AWS was not able to validate the provided access credentials');
        else if (v.error === 'bad-signature') out = isSts
          ? stsError(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.')
          : ec2Error(401, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.');
        else out = isSts ? sts(v, params) : ec2(v, params);
      } catch (e) {
        out = ec2Error(500, 'InternalError', `recorded-aws: ${e.message}`);
      }
      const code = (out.body.match(/<Code>([^<]+)<\/Code>/) || [])[1] || '';
      requests.push({ service: v.service, region: v.region, action: params.Action, key: v.key, dryRun: params.DryRun === 'true',
        status: out.status, code, headers: { ...req.headers }, body });
      res.writeHead(out.status, { 'content-type': 'text/xml;charset=UTF-8', 'x-amzn-requestid': reqId() });
      res.end(out.body);
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const port = server.address().port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    requests,
    groups,
    vpc: 'vpc-0a1b2c3d4e5f67890',
    group: (id) => groups.get(id),
    stop: () => new Promise((r) => server.close(r)),
  };
}

// A TCP server that accepts connections and never answers (for timeouts).
export async function startSilentServer() {
  const sockets = [];
  const server = net.createServer((s) => sockets.push(s));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { port: server.address().port, stop: () => new Promise((r) => { sockets.forEach((s) => s.destroy()); server.close(r); }) };
}
