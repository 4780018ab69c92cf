import { Agent } from './Agent.js';
import { ApiKey } from './ApiKey.js';
import { Grant } from './Grant.js';
import { RecoveryCode } from './RecoveryCode.js';
import { Subscription } from './Subscription.js';
import { User } from './User.js';

export { Agent, ApiKey, Grant, RecoveryCode, Subscription, User };

/** Every entity the ORM knows; tables without an entity are reached with plain SQL. */
export const entities = [User, ApiKey, RecoveryCode, Subscription, Grant, Agent];
