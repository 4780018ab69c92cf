import { Ctx, Directive, Mutation, Resolver, UseMiddleware } from 'type-graphql';
import { requirePrincipal, type GraphQLContext } from '../../context.js';
import { BillingPortalType } from '../../schema/types/billing.js';
import { openBillingPortal } from '../../../services/billing/billing-portal.js';
import { BillingOnly } from '../billing-only.js';

@Resolver()
export class BillingPortalResolver {
  @Mutation(() => BillingPortalType, { description: 'A URL where the subscription and its payment details are managed.' })
  @Directive('@auth')
  @Directive('@tier(min: PRO)')
  @UseMiddleware(BillingOnly)
  async billingPortal(@Ctx() ctx: GraphQLContext): Promise<BillingPortalType> {
    return openBillingPortal(ctx.rt.providers, ctx.em, requirePrincipal(ctx).userId);
  }
}
