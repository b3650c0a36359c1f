// The API reference page (GET /api/docs, api-docs.html): Redoc's standalone bundle renders the
// server's own /api/v1/openapi.json. Redoc (styled-components) adds <style> elements while it
// runs; the server answers this one page with a fresh nonce in <meta name="csp-nonce"> and a CSP
// whose style-src allows that nonce, and Redoc puts it on every <style> it adds. No inline script
// and no other origin is needed, so the rest of the app's CSP stays as strict as before.
import redocUrl from 'redoc/bundles/redoc.standalone.js?url';
import './api-docs.css';

interface RedocGlobal {
  init(specUrl: string, options: Record<string, unknown>, element: HTMLElement | null, callback?: (e?: unknown) => void): void;
}

const nonce = document.querySelector<HTMLMetaElement>('meta[name="csp-nonce"]')?.content ?? '';
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
