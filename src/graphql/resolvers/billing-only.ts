import type { MiddlewareFn } from 'type-graphql';
import type { GraphQLContext } from '../context.js';
import { billingDisabled } from '../../errors.js';

/**
 * Operations that only exist in the hosted, billed product (self-hosted mode, docs/operations.md): with
 * STELLAR_BILLING_ENABLED=false they answer FORBIDDEN "billing is disabled".
 */
export const BillingOnly: MiddlewareFn<GraphQLContext> = async ({ context }, next) => {
  if (!context.rt.config.billingEnabled) throw billingDisabled();
  return next();
};

/** Marks a public mutation as limited per client IP (PUBLIC_RATE_LIMIT a minute), read by the limits plugin. */
export const PUBLIC_RATE_LIMIT = { publicRateLimit: true } as const;
