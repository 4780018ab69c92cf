import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Toss billing keys at rest (docs/billing.md): AES-256-GCM under BILLING_KEY_SECRET, a fresh 96-bit IV per
 * value, the 128-bit tag stored with it. The ciphertext is bound to the row it belongs to (the
 * customerKey as additional data), so a value copied onto another subscription does not decrypt.
 * Stored as `v1.<iv>.<tag>.<ciphertext>` in base64url.
 */

const VERSION = 'v1';
/** GCM accepts tags as short as 4 bytes unless told otherwise; ours are always 16. */
const TAG_BYTES = 16;

export function encryptBillingKey(secret: Buffer, billingKey: string, boundTo: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', secret, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(boundTo, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(billingKey, 'utf8'), cipher.final()]);
  return [VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join('.');
}

/** Throws when the value was not made with this secret for this row, or was altered. */
export function decryptBillingKey(secret: Buffer, stored: string, boundTo: string): string {
  const [version, iv, tag, ciphertext] = stored.split('.');
  if (version !== VERSION || !iv || !tag || ciphertext === undefined) throw new Error('unreadable billing key ciphertext');
  const authTag = Buffer.from(tag, 'base64url');
  if (authTag.length !== TAG_BYTES) throw new Error('unreadable billing key ciphertext');
  const decipher = createDecipheriv('aes-256-gcm', secret, Buffer.from(iv, 'base64url'), { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(boundTo, 'utf8'));
  decipher.setAuthTag(authTag);
  return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
}
