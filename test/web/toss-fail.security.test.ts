import { describe, expect, it } from 'vitest';
import { GENERIC_TOSS_FAILURE, tossFailMessage } from '../../web/toss-fail.js';

/**
 * /billing/toss/fail showed any `message` from its URL as "Toss Payments: …" (issue 15, finding 9):
 * a link anyone can craft could put words in Toss's mouth. The page now says only our own words.
 */
describe('/billing/toss/fail text', () => {
  it('maps the codes it knows to our own words and everything else to a generic line', () => {
    expect(tossFailMessage('REJECT_CARD_COMPANY')).toBe('The card company refused the card.');
    expect(tossFailMessage('PAY_PROCESS_CANCELED')).toMatch(/closed/);
    for (const code of [null, '', 'UNKNOWN_CODE', 'constructor', '__proto__', 'Call +82-10-0000-0000 for your refund']) {
      expect(tossFailMessage(code)).toBe(GENERIC_TOSS_FAILURE);
    }
  });

  it('is what the page script uses: the built bundle never reads the URL message', async () => {
    const { readFile } = await import('node:fs/promises');
    const source = await readFile(new URL('../../web/billing.ts', import.meta.url), 'utf8');
    expect(source).toContain('tossFailMessage(');
    expect(source).not.toMatch(/get\('message'\)/);
  });
});
