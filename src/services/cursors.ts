import { badInput } from '../errors.js';
import { isUuid } from './accounts/api-keys.js';

/**
 * Keyset cursors on (a timestamp, an id), for listings newest first. The timestamp is PostgreSQL's
 * own text (microseconds), which a JavaScript Date would round. A cursor is only a position; the
 * query stays bound to its caller, so a forged one reveals nothing.
 */

const CURSOR_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2})?$/;

export const encodeKeysetCursor = (time: string, id: string) => Buffer.from(JSON.stringify([time, id])).toString('base64url');

export function decodeKeysetCursor(cursor: string): [string, string] {
  try {
    const position: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(position) && position.length === 2) {
      const [time, id] = position as unknown[];
      if (typeof time === 'string' && CURSOR_TIME.test(time) && typeof id === 'string' && isUuid(id)) return [time, id];
    }
  } catch {
    // not JSON: refused below like any other cursor this API did not give out
  }
  throw badInput('after', 'This cursor was not given out by this API');
}
