import { registerEnumType } from 'type-graphql';
import { Provider, QuotaResource, SubscriptionStatus, Tier, WebhookOutcome, Zone } from '../../entities/enums.js';

registerEnumType(Tier, { name: 'Tier' });
registerEnumType(Provider, { name: 'Provider' });
registerEnumType(SubscriptionStatus, { name: 'SubscriptionStatus' });
registerEnumType(QuotaResource, { name: 'QuotaResource' });
registerEnumType(Zone, { name: 'Zone' });
registerEnumType(WebhookOutcome, { name: 'WebhookOutcome' });

export { Provider, QuotaResource, SubscriptionStatus, Tier, WebhookOutcome, Zone };
