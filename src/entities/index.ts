import { Agent } from './Agent.js';
import { ApiKey } from './ApiKey.js';
import { User } from './User.js';

export { Agent, ApiKey, User };

/**
 * Every entity the ORM knows: the rows services load, change and flush as objects. Every other table
 * is read and written with plain SQL and one row type per table (docs/architecture.md, "Data access").
 */
export const entities = [User, ApiKey, Agent];
