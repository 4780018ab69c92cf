import { Arg, Ctx, Directive, Mutation, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../../context.js';
import { Provider } from '../../schema/enums.js';
import { ReconcileReportType } from '../../schema/types/admin.js';
import { reconcileSubscriptions } from '../../../services/billing/reconcile-subscriptions.js';

@Resolver()
export class AdminReconcileResolver {
  @Mutation(() => ReconcileReportType, { description: "Reads every live subscription of the provider back from it and corrects drift (audited)." })
  @Directive('@admin')
  async adminReconcile(@Ctx() ctx: GraphQLContext, @Arg('provider', () => Provider) provider: Provider): Promise<ReconcileReportType> {
    return reconcileSubscriptions(ctx.rt, ctx.em, provider);
  }
}
