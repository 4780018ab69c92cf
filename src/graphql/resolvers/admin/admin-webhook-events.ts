import { Arg, Ctx, Directive, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import type { GraphQLContext } from '../../context.js';
import { Provider, WebhookOutcome } from '../../schema/enums.js';
import { WebhookEventConnectionType } from '../../schema/types/admin.js';
import { countWebhookEvents, listWebhookEvents } from '../../../services/billing/webhooks/webhook-ledger.js';

@Resolver(() => WebhookEventConnectionType)
export class AdminWebhookEventsResolver {
  @Query(() => WebhookEventConnectionType, { description: 'The webhook ledger, newest first.' })
  @Directive('@admin')
  // type-graphql prints arguments in reverse order of declaration; the published schema (schema.graphql) lists provider, outcome, eventId, first, after.
  async adminWebhookEvents(
    @Ctx() ctx: GraphQLContext,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Arg('first', () => Int, { defaultValue: 50 }) first: number,
    @Arg('eventId', () => String, { nullable: true }) eventId: string | null,
    @Arg('outcome', () => WebhookOutcome, { nullable: true }) outcome: WebhookOutcome | null,
    @Arg('provider', () => Provider, { nullable: true }) provider: Provider | null,
  ): Promise<WebhookEventConnectionType> {
    return listWebhookEvents(ctx.em, { provider, outcome, eventId }, { first, after });
  }

  /** Counted only when asked for. */
  @FieldResolver(() => Int)
  async totalCount(@Root() connection: WebhookEventConnectionType, @Ctx() ctx: GraphQLContext): Promise<number> {
    return countWebhookEvents(ctx.em, connection.filter);
  }
}
