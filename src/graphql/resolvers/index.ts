import type { NonEmptyArray } from 'type-graphql';
import { AdminUserResolver } from './admin/admin-user.js';
import { AdminMetricsResolver } from './admin/admin-metrics.js';
import { AdminWebhookEventsResolver } from './admin/admin-webhook-events.js';
import { AdminGrantTierResolver } from './admin/admin-grant-tier.js';
import { AdminRevokeGrantResolver } from './admin/admin-revoke-grant.js';
import { AdminReplayWebhookEventResolver } from './admin/admin-replay-webhook-event.js';
import { AdminReconcileResolver } from './admin/admin-reconcile.js';
import { MeResolver } from './accounts/me.js';
import { RecoveryResolver } from './accounts/recovery.js';
import { RegisterResolver } from './accounts/register.js';
import { AgentMemoryCountResolver } from './agents/agent-memory-count.js';
import { AgentsResolver } from './agents/agents.js';
import { CreateAgentResolver } from './agents/create-agent.js';
import { DeleteAgentResolver } from './agents/delete-agent.js';
import { BillingPortalResolver } from './billing/billing-portal.js';
import { CancelSubscriptionResolver } from './billing/cancel-subscription.js';
import { CheckoutResolver } from './billing/checkout.js';
import { ConfirmTossBillingResolver } from './billing/confirm-toss-billing.js';
import { SubscriptionResolver } from './billing/subscription.js';
import { ApiKeysResolver } from './keys/api-keys.js';
import { CreateApiKeyResolver } from './keys/create-api-key.js';
import { RevokeApiKeyResolver } from './keys/revoke-api-key.js';
import { RotateApiKeyResolver } from './keys/rotate-api-key.js';
import { ForgetMemoryResolver } from './memories/forget-memory.js';
import { MemoriesResolver } from './memories/memories.js';
import { MemoryResolver } from './memories/memory.js';
import { RecallMemoriesResolver } from './memories/recall-memories.js';
import { StoreMemoriesResolver } from './memories/store-memories.js';
import { StoreMemoryResolver } from './memories/store-memory.js';
import { PlansResolver } from './plans/plans.js';
import { UsageResolver } from './plans/usage.js';

/** Every resolver of the schema. One file per operation; each stays a thin adapter over src/services. */
export const resolvers: NonEmptyArray<Function> = [
  PlansResolver,
  MeResolver,
  UsageResolver,
  ApiKeysResolver,
  RegisterResolver,
  RecoveryResolver,
  CreateApiKeyResolver,
  RevokeApiKeyResolver,
  RotateApiKeyResolver,
  AgentsResolver,
  AgentMemoryCountResolver,
  CreateAgentResolver,
  DeleteAgentResolver,
  MemoryResolver,
  MemoriesResolver,
  StoreMemoryResolver,
  StoreMemoriesResolver,
  RecallMemoriesResolver,
  ForgetMemoryResolver,
  SubscriptionResolver,
  CheckoutResolver,
  ConfirmTossBillingResolver,
  BillingPortalResolver,
  CancelSubscriptionResolver,
  AdminUserResolver,
  AdminMetricsResolver,
  AdminWebhookEventsResolver,
  AdminGrantTierResolver,
  AdminRevokeGrantResolver,
  AdminReplayWebhookEventResolver,
  AdminReconcileResolver,
];
