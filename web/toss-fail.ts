/**
 * What /billing/toss/fail says. Toss sends the buyer back with `code` and `message` in the URL, and
 * anyone can make such a link: the page shows our own words for the codes it knows and a generic
 * line otherwise, never text taken from the URL (it would read as if Toss had said it).
 */

const CANCELED = 'The Toss Payments window was closed before the card was authorized.';

const MESSAGES: Readonly<Record<string, string>> = {
  PAY_PROCESS_CANCELED: CANCELED,
  USER_CANCEL: CANCELED,
  PAY_PROCESS_ABORTED: 'Toss Payments could not finish the card authorization. Please try again.',
  REJECT_CARD_COMPANY: 'The card company refused the card.',
  REJECT_CARD_PAYMENT: 'The card was refused: its limit was exceeded or the balance is too low.',
  INVALID_STOPPED_CARD: 'This card is suspended.',
  INVALID_CARD_EXPIRATION: 'The card has expired.',
  INVALID_CARD_NUMBER: 'The card number was not accepted.',
  EXCEED_MAX_AUTH_COUNT: 'Too many attempts with this card. Please try again later.',
};

export const GENERIC_TOSS_FAILURE = 'Toss Payments did not authorize the card.';

export function tossFailMessage(code: string | null): string {
  return (code !== null && Object.hasOwn(MESSAGES, code) ? MESSAGES[code] : undefined) ?? GENERIC_TOSS_FAILURE;
}
