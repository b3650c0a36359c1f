// Every response the e2e suite receives through api()/apiFrom() is checked against the server's
// own OpenAPI document (GET /api/v1/openapi.json): the operation is found by method and path
// template, then the body is validated with ajv against the schema documented for its status
// (or `default`). A response that does not match throws, so the test that made the call fails.
//
// WHARF_E2E_OPENAPI=strict, the default, also fails a response whose status the operation does
// not document at all; =on checks only where a schema exists; =off skips the check.
// WHARF_E2E_OPENAPI_RECORD=FILE appends every checked response as a JSON line (for finding what a
// schema must allow).
import { appendFileSync } from 'node:fs';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';

const mode = process.env.WHARF_E2E_OPENAPI || 'strict';
const docs = new Map();  // base URL -> Promise<{doc, ops, ajv}>

function compileOps(doc) {
  const ops = [];
  for (const [template, item] of Object.entries(doc.paths || {})) {
    const names = [];
    const escaped = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
    const rx = new RegExp('^' + escaped.replace(/\{([^}]+)\}/g, (_, n) => { names.push(n); return '([^/]+)'; }) + '$');
    for (const [method, op] of Object.entries(item)) {
      if (!['get', 'put', 'post', 'patch', 'delete', 'head', 'options'].includes(method)) continue;
      ops.push({ method: method.toUpperCase(), template, rx, op, literal: (template.match(/\{/g) || []).length });
    }
  }
  // Literal segments win over parameters (/orgs/{org}/roles before /orgs/{org}/{x}).
  ops.sort((a, b) => a.literal - b.literal);
  return ops;
}

async function load(base) {
  if (!docs.has(base)) {
    docs.set(base, (async () => {
      const r = await fetch(base + '/api/v1/openapi.json');
      if (r.status !== 200) throw new Error(`openapi check: GET /api/v1/openapi.json answered ${r.status}`);
      const doc = await r.json();
      const ajv = new Ajv({ strict: false, allErrors: true });
      addFormats(ajv);
      ajv.addSchema({ $id: 'wharf-openapi', components: doc.components || {} });
      return { doc, ops: compileOps(doc), ajv, compiled: new Map() };
    })());
  }
  return docs.get(base);
}

function rewriteRefs(schema) {
  if (Array.isArray(schema)) return schema.map(rewriteRefs);
  if (schema && typeof schema === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(schema)) {
      out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/components/') ? 'wharf-openapi' + v : rewriteRefs(v);
    }
    return out;
  }
  return schema;
}

// Throws when `json` does not match the documented response of METHOD PATH with STATUS.
export async function checkResponse(base, method, p, status, headers, json, text) {
  if (mode === 'off') return;
  const path = p.split('?')[0];
  if (!path.startsWith('/api/')) return;
  const { ops, ajv, compiled } = await load(base);
  const found = ops.find((o) => o.method === method.toUpperCase() && o.rx.test(path));
  if (!found) {
    // 404/405 for routes that do not exist are part of what tests probe; only documented routes are checked.
    return;
  }
  if (process.env.WHARF_E2E_OPENAPI_RECORD)
    appendFileSync(process.env.WHARF_E2E_OPENAPI_RECORD, JSON.stringify({ m: method.toUpperCase(), t: found.template, s: status, ct: (headers && headers.get && headers.get('content-type')) || '', j: json }) + '\n');
  const responses = found.op.responses || {};
  const spec = responses[String(status)] || responses[`${String(status)[0]}XX`] || responses.default;
  if (!spec) {
    if (mode === 'strict') throw new Error(`openapi check: ${method} ${found.template} answered ${status}, which the document does not list`);
    return;
  }
  const ctype = (headers && headers.get && headers.get('content-type')) || '';
  const media = spec.content && (spec.content['application/json'] || spec.content['text/event-stream']);
  if (!media || !media.schema || !ctype.startsWith('application/json')) return;
  const key = `${method} ${found.template} ${status}`;
  let validate = compiled.get(key);
  if (!validate) {
    validate = ajv.compile(rewriteRefs(media.schema));
    compiled.set(key, validate);
  }
  if (json === undefined) throw new Error(`openapi check: ${key}: body is not JSON: ${String(text).slice(0, 200)}`);
  if (!validate(json)) {
    const why = validate.errors.map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ');
    throw new Error(`openapi check: ${key}: response does not match its schema: ${why}\n${String(text).slice(0, 400)}`);
  }
}

// Throws when a request body does not match the documented requestBody of METHOD PATH (a client's
// requests, such as the CLI's, checked against the contract). A path the document does not list
// throws too.
export async function checkRequest(base, method, p, body) {
  const path = p.split('?')[0];
  const { ops, ajv, compiled } = await load(base);
  const found = ops.find((o) => o.method === method.toUpperCase() && o.rx.test(path));
  if (!found) throw new Error(`openapi check: ${method} ${path} is not in the document`);
  const rb = found.op.requestBody;
  if (body === undefined || body === '') {
    if (rb?.required && !['POST'].includes(method.toUpperCase())) throw new Error(`openapi check: ${method} ${found.template} needs a body`);
    return found.template;
  }
  if (!rb) throw new Error(`openapi check: ${method} ${found.template} takes no body, was sent ${String(body).slice(0, 200)}`);
  const key = `request ${method} ${found.template}`;
  let validate = compiled.get(key);
  if (!validate) {
    validate = ajv.compile(rewriteRefs(rb.content['application/json'].schema));
    compiled.set(key, validate);
  }
  const json = typeof body === 'string' ? JSON.parse(body) : body;
  if (!validate(json)) {
    const why = validate.errors.map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ');
    throw new Error(`openapi check: ${key}: the body does not match the documented request: ${why}\n${JSON.stringify(json).slice(0, 400)}`);
  }
  return found.template;
}

