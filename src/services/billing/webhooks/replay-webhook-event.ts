import type { EntityManager } from '@mikro-orm/postgresql';
import { WebhookOutcome } from '../../../entities/enums.js';
import type { VerifiedWebhook } from '../../../providers/types.js';
import type { WebhookDeps } from '../deps.js';
import { applyWebhookEvent } from './apply-webhook-event.js';
import { findWebhookEvent, recordWebhookFailure, type WebhookEventView } from './webhook-ledger.js';

/**
 * `adminReplayWebhookEvent`: processes a FAILED event again from its stored (already verified)
 * payload, through the same path as a delivery. An event that is not FAILED was applied, found
 * stale or ignored already: it is answered as it is and nothing runs twice.
 */
export async function replayWebhookEvent(deps: Pick<WebhookDeps, 'providers' | 'entitlements' | 'logger' | 'db'>, em: EntityManager, id: string): Promise<WebhookEventView> {
  const stored = await findWebhookEvent(em, id);
  if (stored.outcome !== WebhookOutcome.FAILED) return stored;
  const adapter = await deps.providers.get(stored.provider);
  const event: VerifiedWebhook = { eventId: stored.eventId, type: stored.type, payload: stored.payload };
  try {
    const normalized = await adapter.normalizeWebhook(event);
    await applyWebhookEvent(deps, em, stored.provider, event, normalized);
  } catch (err) {
    deps.logger.warn({ component: 'webhooks', provider: stored.provider, eventId: stored.eventId, err }, 'webhook replay failed');
    await recordWebhookFailure(em, stored.provider, event, err);
  }
  return findWebhookEvent(em, id);
}
