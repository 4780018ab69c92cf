/** The SDK client of the pages: same origin, so no CORS and no key unless a page passes one. */

import { createClient } from '../sdk/client.js';
import { StellarError, TransportError } from '../sdk/errors.js';

// fetch is wrapped so the SDK never calls it detached from window ("Illegal invocation" in some browsers).
export const api = createClient({ url: '/graphql', fetch: (input, init) => fetch(input, init) });

/** A sentence for the person in front of the page: the server's own message when it sent one. */
export function messageOf(error: unknown): string {
  if (error instanceof StellarError) {
    if (error.code === 'RATE_LIMITED') return `${error.message} Try again in a minute.`;
    return error.message;
  }
  if (error instanceof TransportError) return `The server answered HTTP ${error.status}. Please try again in a moment.`;
  return 'Could not reach the server. Check your connection and try again.';
}

export { StellarError };

/** Looks up an element the page's HTML must have. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from the page`);
  return element as T;
}

/** A new element with its class and text, for pages built with DOM calls instead of HTML strings. */
export function element<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}
