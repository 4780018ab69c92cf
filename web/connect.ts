/**
 * The hero's "connect your agent" examples: the TypeScript SDK and the MCP set-up, as two tabs.
 * Without JavaScript both examples show one above the other. The MCP snippets carry this
 * server's own /mcp address, so they can be pasted as they are.
 */

import { MCP_PATH } from '../src/mcp/path.js';
import { byId } from './api.js';

export function setUpConnectTabs(): void {
  document.querySelectorAll<HTMLElement>('[data-mcp-url]').forEach((slot) => (slot.textContent = `${location.origin}${MCP_PATH}`));

  const tabs = [byId<HTMLButtonElement>('connect-tab-sdk'), byId<HTMLButtonElement>('connect-tab-mcp')];
  const select = (chosen: HTMLButtonElement, focus: boolean) => {
    for (const tab of tabs) {
      const selected = tab === chosen;
      tab.setAttribute('aria-selected', String(selected));
      tab.tabIndex = selected ? 0 : -1;
      const panel = byId(tab.getAttribute('aria-controls')!);
      panel.setAttribute('role', 'tabpanel');
      panel.setAttribute('aria-labelledby', tab.id);
      panel.hidden = !selected;
    }
    if (focus) chosen.focus();
  };
  for (const [i, tab] of tabs.entries()) {
    tab.addEventListener('click', () => select(tab, false));
    tab.addEventListener('keydown', (event) => {
      if (event.key !== 'ArrowRight' && event.key !== 'ArrowLeft') return;
      event.preventDefault();
      select(tabs[(i + (event.key === 'ArrowRight' ? 1 : tabs.length - 1)) % tabs.length]!, true);
    });
  }
  // The nav's #mcp link (or a shared link) opens the MCP tab.
  const fromHash = () => select(location.hash === '#mcp' ? tabs[1]! : tabs[0]!, false);
  window.addEventListener('hashchange', fromHash);
  fromHash();
  byId('connect-tabs').hidden = false;
}
