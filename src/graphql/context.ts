import type { FastifyRequest } from 'fastify';
import { presentedKey } from '../http/headers.js';
import { createRequestScope, requirePrincipal, type RequestScope } from '../request-scope.js';
import type { Runtime } from '../runtime.js';
import type { Principal } from '../services/accounts/authentication.js';

export { requirePrincipal };

/** Everything a resolver may use for one request. Built once per request by `createContext`. */
export interface GraphQLContext extends RequestScope {
  clientIp: string;
  /** Per-request batching loaders, created on first use. */
  loaders: Map<string, unknown>;
}

export async function createContext(rt: Runtime, request: FastifyRequest): Promise<GraphQLContext> {
  const caller = await rt.authenticator.identify(presentedKey(request.headers));
  return createRequestScope(rt, caller, String(request.id), { clientIp: request.clientIp, loaders: new Map<string, unknown>() });
}

/** The authenticated user's id, or null when the call is anonymous. */
export function optionalPrincipal(context: GraphQLContext): Principal | null {
  return context.caller.kind === 'user' ? context.caller.principal : null;
}
