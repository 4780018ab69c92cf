import { Arg, Ctx, Directive, ID, Mutation, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../../context.js';
import { WebhookEventType } from '../../schema/types/admin.js';
import { replayWebhookEvent } from '../../../services/billing/webhooks/replay-webhook-event.js';

@Resolver()
export class AdminReplayWebhookEventResolver {
  @Mutation(() => WebhookEventType, { description: 'Processes a FAILED webhook event again; any other event is returned unchanged.' })
  @Directive('@admin')
  async adminReplayWebhookEvent(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<WebhookEventType> {
    return replayWebhookEvent(ctx.rt, ctx.em, id);
  }
}
