import { createDecipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BadUserInputError, CheckoutDocument, ConfirmTossBillingDocument, NotFoundError } from '../../sdk/index.js';
import { Provider } from '../../src/entities/enums.js';
import { decryptBillingKey, encryptBillingKey } from '../../src/services/billing/billing-keys.js';
import { registerUser } from '../support/accounts.js';
import { BILLING_KEY_SECRET_HEX, seedSubscription, tossCheckout, useBillingServer } from '../support/billing.js';
import { LogCapture } from '../support/logs.js';

const logs = new LogCapture();
const ctx = useBillingServer({ providers: ['toss'], logs });


describe('Toss billing keys at rest', () => {
  it('are stored AES-256-GCM encrypted: neither the key nor anything readable without BILLING_KEY_SECRET', async () => {
    const user = await registerUser(ctx.server);
    const customerKey = (await tossCheckout(user)).customerKey;
    const authKey = ctx.fakes.toss.authorize(customerKey);
    const { confirmTossBilling } = await ctx.server.client().request(ConfirmTossBillingDocument, { input: { customerKey, authKey } });
    const billingKey = [...ctx.fakes.toss.billings.values()].find((b) => b.customerKey === customerKey)!.billingKey;

    const [row] = await ctx.server.sql<{ billing_key_enc: string }>(`select billing_key_enc from toss_billing where subscription_id = ?`, [confirmTossBilling.id]);
    const stored = row!.billing_key_enc;
    const everything = JSON.stringify(await ctx.server.sql(`select * from toss_billing`)) + JSON.stringify(await ctx.server.sql(`select * from checkouts`));
    expect(everything).not.toContain(billingKey);
    expect(everything).not.toContain(billingKey.slice(0, 20));
    expect(everything).not.toContain(authKey);
    const [version, iv, tag, ciphertext] = stored.split('.');
    expect(version).toBe('v1');
    expect(Buffer.from(iv!, 'base64url')).toHaveLength(12);
    expect(Buffer.from(tag!, 'base64url')).toHaveLength(16);
    expect(Buffer.from(ciphertext!, 'base64url').toString('latin1')).not.toContain(billingKey.slice(0, 8));

    // Only the configured secret opens it, and only for this row.
    const secret = Buffer.from(BILLING_KEY_SECRET_HEX, 'hex');
    expect(decryptBillingKey(secret, stored, customerKey)).toBe(billingKey);
    expect(() => decryptBillingKey(Buffer.alloc(32, 7), stored, customerKey)).toThrow();
    expect(() => decryptBillingKey(secret, stored, 'cus_someone_else')).toThrow();
    const decipher = createDecipheriv('aes-256-gcm', Buffer.alloc(32), Buffer.from(iv!, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag!, 'base64url'));
    expect(() => Buffer.concat([decipher.update(Buffer.from(ciphertext!, 'base64url')), decipher.final()])).toThrow();
  });

  it('refuse a shortened authentication tag (only the full 16 bytes are accepted)', () => {
    const secret = Buffer.from(BILLING_KEY_SECRET_HEX, 'hex');
    const stored = encryptBillingKey(secret, 'billing-key-of-a-customer=', 'cus_1');
    const [version, iv, tag, ciphertext] = stored.split('.') as [string, string, string, string];
    // A forger who can guess a 4-byte tag needs about 2^32 tries, not 2^128.
    for (const bytes of [4, 8, 12, 15]) {
      const short = Buffer.from(tag, 'base64url').subarray(0, bytes).toString('base64url');
      expect(() => decryptBillingKey(secret, [version, iv, short, ciphertext].join('.'), 'cus_1')).toThrow();
    }
    expect(decryptBillingKey(secret, stored, 'cus_1')).toBe('billing-key-of-a-customer=');
  });

  it('use a fresh IV for every value', () => {
    const secret = Buffer.from(BILLING_KEY_SECRET_HEX, 'hex');
    const a = encryptBillingKey(secret, 'same-billing-key=', 'cus_1');
    const b = encryptBillingKey(secret, 'same-billing-key=', 'cus_1');
    expect(a).not.toBe(b);
    expect(a.split('.')[1]).not.toBe(b.split('.')[1]);
  });

  it('never reach the logs, nor do authKeys', async () => {
    const user = await registerUser(ctx.server);
    const customerKey = (await tossCheckout(user)).customerKey;
    const authKey = ctx.fakes.toss.authorize(customerKey);
    ctx.fakes.toss.declineNext();
    await ctx.server.client().request(ConfirmTossBillingDocument, { input: { customerKey, authKey } }).catch(() => undefined);
    const billingKeys = [...ctx.fakes.toss.billings.values()].map((b) => b.billingKey);
    const text = logs.text();
    expect(text.length).toBeGreaterThan(0);
    for (const key of billingKeys) expect(text).not.toContain(key.slice(0, 16));
    expect(text).not.toContain(authKey);
  });
});

describe('confirmTossBilling concurrency', () => {
  it('two confirmations of one checkout at once charge once and activate once', async () => {
    const user = await registerUser(ctx.server);
    const customerKey = (await tossCheckout(user)).customerKey;
    const authKey = ctx.fakes.toss.authorize(customerKey);
    const results = await Promise.allSettled([1, 2, 3].map(() => ctx.server.client().request(ConfirmTossBillingDocument, { input: { customerKey, authKey } })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(NotFoundError);
    expect(ctx.fakes.toss.charges).toHaveLength(1);
    expect(await ctx.server.sql(`select count(*)::int as n from subscriptions where user_id = ?`, [user.id])).toEqual([{ n: 1 }]);
  });
});

describe('a second subscription through an anonymous Toss checkout', () => {
  it('is not charged when the account already has one that renews', async () => {
    const paying = await registerUser(ctx.server);
    await seedSubscription(ctx.server, { userId: paying.id, provider: Provider.STRIPE });
    // Anyone may start a checkout for an existing email (the answer does not tell who pays)…
    const { checkout } = await ctx.server.client().request(CheckoutDocument, { input: { tier: 'TEAM', provider: 'TOSS', email: paying.email } });
    const customerKey = checkout.toss!.customerKey;
    // …but the first charge, which we make ourselves, is refused before any money moves.
    const error = await ctx.server
      .client()
      .request(ConfirmTossBillingDocument, { input: { customerKey, authKey: ctx.fakes.toss.authorize(customerKey) } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadUserInputError);
    expect(ctx.fakes.toss.charges).toHaveLength(0);
    expect(await ctx.server.sql(`select provider from subscriptions where user_id = ?`, [paying.id])).toEqual([{ provider: 'STRIPE' }]);
  });
});
