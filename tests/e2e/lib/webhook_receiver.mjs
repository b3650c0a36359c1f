// A local HTTP receiver on 127.0.0.1 for notification channels: it records every request and
// checks Standard Webhooks signatures with npm's `standardwebhooks` (the specification's reference
// library), never with Wharf's own code. Per path it can be told the signing secret and a plan of
// statuses to answer (then 200).
//
//   const rx = await startReceiver();
//   rx.sign('/hook', 'whsec_…'); rx.plan('/flaky', [503, 503]);
//   const msg = await rx.waitFor((m) => m.path === '/hook' && m.json.type === 'test');
//   assert.equal(msg.verified, true);
import http from 'node:http';
import standardwebhooks from 'standardwebhooks';

const { Webhook } = standardwebhooks;

export async function startReceiver() {
  const got = [];
  const secrets = new Map();
  const plans = new Map();
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      const path = req.url;
      const base = [...secrets.keys()].find((p) => path === p || path.startsWith(p + '/'));
      let verified = null;
      let verifyError = null;
      if (base) {
        try {
          new Webhook(secrets.get(base)).verify(body, req.headers);
          verified = true;
        } catch (e) {
          verified = false;
          verifyError = e.message;
        }
      }
      let json;
      try { json = JSON.parse(body); } catch { json = undefined; }
      const plan = plans.get(path) || [];
      const status = plan.length ? plan.shift() : 200;
      got.push({ path, method: req.method, headers: req.headers, body, json, verified, verifyError, status, at: Date.now() });
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status < 300 ? 'ok' : 'not now');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    got,
    sign(path, secret) { secrets.set(path, secret); },
    plan(path, statuses) { plans.set(path, [...statuses]); },
    // Waits until `pred` holds for a recorded request; returns it.
    async waitFor(pred, ms = 15000, what = 'a request') {
      const t0 = Date.now();
      for (;;) {
        const m = got.find(pred);
        if (m) return m;
        if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}; got ${got.map((g) => `${g.path} ${g.json?.type ?? ''}`).join(', ')}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    stop() { return new Promise((resolve) => server.close(resolve)); },
  };
}
