// S3 for the backup-storage tests: a real s3rver (npm) on 127.0.0.1, behind a small front that
// does what s3rver does not: SigV4. s3rver accepts any V4 signature (its authentication
// middleware says V4 support is incomplete), so every request goes through this front first.
//
// The front recomputes each request's signature with AWS's own @aws-sdk/signature-v4 (the
// code the AWS SDKs sign with) from the configured secret of the request's access key id, and
// answers as S3 does:
//   - no or malformed Authorization            → 403 AccessDenied / 400 AuthorizationHeaderMalformed
//   - an access key id it does not know        → 403 InvalidAccessKeyId
//   - a signature for another region           → 400 AuthorizationHeaderMalformed with <Region>
//   - a signature that does not match          → 403 SignatureDoesNotMatch
//   - x-amz-date more than 15 minutes off      → 403 RequestTimeTooSkewed
//   - a body whose SHA-256 differs from x-amz-content-sha256 → 400 XAmzContentSHA256Mismatch
//     (the body streams to s3rver while it is hashed; on a mismatch the upstream request is
//     destroyed before it ends, so s3rver stores nothing)
//   - an action the key's policy denies (keys[id].deny = ['s3:DeleteObject', …]) → 403 AccessDenied
// and otherwise proxies the request, body streamed, to s3rver without the Authorization header.
// `UNSIGNED-PAYLOAD` bodies pass unhashed; `STREAMING-*` (aws-chunked) bodies are refused with
// 501 NotImplemented, since s3rver cannot decode them and Wharf does not send them.
// AbortMultipartUpload is answered by the front (s3rver 3.7 has no route for it): 204, and the
// upload id is refused (404 NoSuchUpload) from then on.
//
//   const s3 = await startS3({ region: 'eu-central-1', buckets: ['backups'],
//                              keys: { AKIDGOOD: { secret: 's3cret' }, AKIDNODEL: { secret: 'x', deny: ['s3:DeleteObject'] } } });
//   s3.endpoint  // 'http://127.0.0.1:PORT'
//   s3.requests  // [{ method, path, op, key_id, status, code }]
//   await s3.stop();
import http from 'node:http';
import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { freePort } from './harness.mjs';

const require = createRequire(import.meta.url);
const S3rver = require('s3rver');
const { SignatureV4 } = require('@aws-sdk/signature-v4');
const { Sha256 } = require('@aws-crypto/sha256-js');

const xmlEscape = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' }[c]));

function errorXml(code, message, extra = {}) {
  const fields = Object.entries(extra).map(([k, v]) => `<${k}>${xmlEscape(v)}</${k}>`).join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message>${fields}` +
    `<RequestId>${crypto.randomBytes(8).toString('hex').toUpperCase()}</RequestId></Error>`;
}

// The IAM action a request needs (path style: /bucket[/key]).
export function actionOf(method, bucketPath, query) {
  const [, bucket, ...rest] = bucketPath.split('/');
  const key = rest.join('/');
  if (!bucket) return 's3:ListAllMyBuckets';
  if (!key) {
    if (method === 'GET' || method === 'HEAD') return 's3:ListBucket';
    if (method === 'PUT') return 's3:CreateBucket';
    if (method === 'DELETE') return 's3:DeleteBucket';
    return 's3:PutObject';  // POST /bucket (form upload, multi-delete)
  }
  if (method === 'GET' || method === 'HEAD') return 's3:GetObject';
  if (method === 'DELETE') return 'uploadId' in query ? 's3:AbortMultipartUpload' : 's3:DeleteObject';
  return 's3:PutObject';  // PUT object/part, POST ?uploads / ?uploadId
}

function parseQuery(raw) {
  const q = {};
  if (!raw) return q;
  for (const part of raw.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const k = decodeURIComponent(eq < 0 ? part : part.slice(0, eq));
    q[k] = eq < 0 ? '' : decodeURIComponent(part.slice(eq + 1));
  }
  return q;
}

function parseAuthorization(h) {
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/.exec(h || '');
  if (!m) return null;
  return { keyId: m[1], date: m[2], region: m[3], service: m[4], signed: m[5].split(';'), signature: m[6] };
}

function amzDate(s) {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s || '');
  return m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6])) : null;
}

export async function startS3({ region = 'us-east-1', buckets = ['backups'], keys = {} } = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-s3rver-'));
  const s3rver = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir,
    configureBuckets: buckets.map((name) => ({ name })) });
  const { port: backendPort } = await s3rver.run();
  const requests = [];
  const aborted = new Set();

  const server = http.createServer(async (req, res) => {
    const [rawPath, rawQuery = ''] = req.url.split(/\?(.*)/s);
    const query = parseQuery(rawQuery);
    const entry = { method: req.method, path: rawPath, query: rawQuery, op: actionOf(req.method, decodeURIComponent(rawPath), query) };
    requests.push(entry);
    const refuse = (status, code, message, extra) => {
      entry.status = status;
      entry.code = code;
      req.resume();
      const body = req.method === 'HEAD' ? '' : errorXml(code, message, extra);
      res.writeHead(status, { 'content-type': 'application/xml', 'x-amz-request-id': 'FRONT', ...(extra?.Region ? { 'x-amz-bucket-region': extra.Region } : {}) });
      res.end(body);
    };
    try {
      const auth = parseAuthorization(req.headers.authorization);
      if (!req.headers.authorization) return refuse(403, 'AccessDenied', 'Access Denied');
      if (!auth) return refuse(400, 'AuthorizationHeaderMalformed', 'The authorization header is malformed.');
      entry.key_id = auth.keyId;
      const key = keys[auth.keyId];
      if (!key) return refuse(403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', { AWSAccessKeyId: auth.keyId });
      if (auth.region !== region)
        return refuse(400, 'AuthorizationHeaderMalformed', `The authorization header is malformed; the region '${auth.region}' is wrong; expecting '${region}'`, { Region: region });
      if (auth.service !== 's3') return refuse(400, 'AuthorizationHeaderMalformed', `The authorization header is malformed; incorrect service '${auth.service}'. This endpoint belongs to 's3'.`);
      const when = amzDate(req.headers['x-amz-date']);
      if (!when || when.toISOString().slice(0, 10).replace(/-/g, '') !== auth.date)
        return refuse(403, 'AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
      if (Math.abs(Date.now() - when.getTime()) > 15 * 60 * 1000)
        return refuse(403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.');
      const payloadHash = req.headers['x-amz-content-sha256'];
      if (!payloadHash) return refuse(400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
      if (payloadHash.startsWith('STREAMING-')) return refuse(501, 'NotImplemented', 'aws-chunked uploads are not supported by this test front');
      if (payloadHash !== 'UNSIGNED-PAYLOAD' && !/^[0-9a-f]{64}$/.test(payloadHash))
        return refuse(400, 'InvalidArgument', 'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, or a valid sha256 value.');
      for (const h of ['host', 'x-amz-date', 'x-amz-content-sha256'])
        if (!auth.signed.includes(h)) return refuse(403, 'AccessDenied', `There were headers present in the request which were not signed: ${h}`);
      const headers = {};
      for (const h of auth.signed) {
        if (req.headers[h] === undefined) return refuse(403, 'SignatureDoesNotMatch', `Signed header ${h} is missing.`);
        headers[h] = req.headers[h];
      }
      const signer = new SignatureV4({ credentials: { accessKeyId: auth.keyId, secretAccessKey: key.secret }, region, service: 's3',
        sha256: Sha256, uriEscapePath: false, applyChecksum: false });
      const signed = await signer.sign({ method: req.method, protocol: 'http:', hostname: req.headers.host, path: rawPath, query, headers },
        { signingDate: when, signingRegion: auth.region, signingService: 's3' });
      const expected = /Signature=([0-9a-f]{64})/.exec(signed.headers.authorization)[1];
      if (!crypto.timingSafeEqual(Buffer.from(expected), Buffer.from(auth.signature)))
        return refuse(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
          { AWSAccessKeyId: auth.keyId });
      entry.signature_ok = true;
      if ((key.deny || []).includes(entry.op)) return refuse(403, 'AccessDenied', 'Access Denied');
      if ('uploadId' in query && aborted.has(query.uploadId))
        return refuse(404, 'NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.');
      if (req.method === 'DELETE' && 'uploadId' in query) {
        aborted.add(query.uploadId);
        entry.status = 204;
        req.resume();
        res.writeHead(204).end();
        return;
      }

      // Proxy to s3rver, the body streamed and hashed on the way.
      const fwd = { ...req.headers, host: `127.0.0.1:${backendPort}` };
      delete fwd.authorization;
      const upstream = http.request({ host: '127.0.0.1', port: backendPort, method: req.method, path: req.url, headers: fwd });
      const hash = crypto.createHash('sha256');
      let bytes = 0;
      upstream.on('response', (r) => {
        entry.status = r.statusCode;
        res.writeHead(r.statusCode, r.headers);
        r.pipe(res);
      });
      upstream.on('error', (e) => {
        if (!res.headersSent) refuse(502, 'InternalError', `s3rver: ${e.message}`);
      });
      req.on('data', (c) => { bytes += c.length; hash.update(c); if (!upstream.write(c)) { req.pause(); upstream.once('drain', () => req.resume()); } });
      req.on('end', () => {
        entry.bytes = bytes;
        if (payloadHash !== 'UNSIGNED-PAYLOAD' && hash.digest('hex') !== payloadHash) {
          upstream.destroy();
          entry.status = 400;
          entry.code = 'XAmzContentSHA256Mismatch';
          res.writeHead(400, { 'content-type': 'application/xml' });
          res.end(errorXml('XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed."));
          return;
        }
        upstream.end();
      });
    } catch (e) {
      if (!res.headersSent) refuse(500, 'InternalError', `front: ${e.message}`);
    }
  });
  const port = await freePort();
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    backendPort,
    region,
    requests,
    aborted,
    // Lists a bucket straight from s3rver (no front, no signature): what is really stored.
    async listStored(bucket, prefix = '') {
      const r = await fetch(`http://127.0.0.1:${backendPort}/${bucket}?list-type=2&prefix=${encodeURIComponent(prefix)}`);
      const text = await r.text();
      return [...text.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]);
    },
    async stop() {
      await new Promise((resolve) => server.close(resolve));
      server.closeAllConnections?.();
      await s3rver.close().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
