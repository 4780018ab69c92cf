/** Shows a newly created API key once, with a copy button. Built with DOM calls: no HTML strings. */

export function revealApiKey(container: HTMLElement, secret: string, lead: string): void {
  container.replaceChildren();
  const heading = document.createElement('p');
  heading.className = 'created-key__lead';
  heading.textContent = lead;

  const row = document.createElement('div');
  row.className = 'created-key__row';
  const code = document.createElement('code');
  code.className = 'created-key__secret';
  code.dataset.testid = 'api-key';
  code.textContent = secret;
  const copy = document.createElement('button');
  copy.type = 'button';
  copy.className = 'button button--small';
  copy.textContent = 'Copy';
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

  const note = document.createElement('p');
  note.className = 'hint';
  note.textContent = 'This key is shown only this once. Keep it somewhere safe, e.g. as STELLAR_API_KEY in your agent’s environment; send it as "Authorization: Bearer <key>".';
  container.append(heading, row, note);
  container.hidden = false;
}
