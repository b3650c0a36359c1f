// The API reference page (GET /api/docs, api-docs.html): Redoc's standalone bundle renders the
// server's own /api/v1/openapi.json. Redoc adds <style> elements while it runs (styled-components,
// and its scrollbar CSS as the bundle loads). The server answers this one page with a fresh nonce
// in <meta name="csp-nonce"> and a CSP whose style-src allows that nonce; every <style> inserted
// here gets it just before it enters the document. No inline script and no other origin is
// needed, and the rest of the app keeps its CSP (docs/api.md, "The reference page").
import redocUrl from 'redoc/bundles/redoc.standalone.js?url';
import './api-docs.css';

interface RedocGlobal {
  init(specUrl: string, options: Record<string, unknown>, element: HTMLElement | null, callback?: (e?: unknown) => void): void;
}

const nonce = document.querySelector<HTMLMetaElement>('meta[name="csp-nonce"]')?.content ?? '';

// The bundle inserts its first <style> while its modules load, before Redoc.init's nonce option
// is read: tag every <style> as it is appended or inserted (CSP checks it on insertion).
function withNonce<T extends Node>(node: T): T {
  if (node instanceof HTMLStyleElement && !node.nonce) node.nonce = nonce;
  return node;
}
const appendChild = Node.prototype.appendChild;
const insertBefore = Node.prototype.insertBefore;
Node.prototype.appendChild = function <T extends Node>(this: Node, node: T): T {
  return appendChild.call(this, withNonce(node)) as T;
};
Node.prototype.insertBefore = function <T extends Node>(this: Node, node: T, child: Node | null): T {
  return insertBefore.call(this, withNonce(node), child) as T;
};

const script = document.createElement('script');
script.src = redocUrl;
script.onload = () => {
  const redoc = (window as unknown as { Redoc?: RedocGlobal }).Redoc;
  const el = document.getElementById('redoc');
  if (!redoc || !el) return;
  redoc.init('/api/v1/openapi.json', { nonce, expandResponses: '200,201', pathInMiddlePanel: true, sortTagsAlphabetically: true }, el,
    (e) => el.setAttribute('data-state', e ? 'failed' : 'rendered'));
};
script.onerror = () => {
  document.getElementById('redoc')?.replaceChildren(document.createTextNode('The API reference could not load its renderer. The document is at /api/v1/openapi.json.'));
};
document.head.appendChild(script);
