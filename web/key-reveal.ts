/** Shows a newly created API key once, with a copy button. Built with DOM calls: no HTML strings. */

import { element } from './api.js';

export function revealApiKey(container: HTMLElement, secret: string, lead: string): void {
  container.replaceChildren();
  const heading = element('p', 'created-key__lead', lead);

  const row = element('div', 'created-key__row');
  const code = element('code', 'created-key__secret', secret);
  code.dataset.testid = 'api-key';
  const copy = element('button', 'button button--small', 'Copy');
  copy.type = 'button';
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(secret);
      copy.textContent = 'Copied';
    } catch {
      // Clipboard refused (permissions, http): select the text so Ctrl+C works.
      const range = document.createRange();
      range.selectNodeContents(code);
      getSelection()?.removeAllRanges();
      getSelection()?.addRange(range);
      copy.textContent = 'Press Ctrl+C';
    }
  });
  row.append(code, copy);

  const note = element('p', 'hint', 'This key is shown only this once. Keep it somewhere safe, e.g. as STELLAR_API_KEY in your agent’s environment; send it as "Authorization: Bearer <key>".');
  container.append(heading, row, note);
  container.hidden = false;
}
