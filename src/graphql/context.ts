import type { EntityManager } from '@mikro-orm/postgresql';
import type { FastifyRequest } from 'fastify';
import type { Runtime } from '../runtime.js';
import { unauthenticated } from '../errors.js';
import type { Caller, Principal } from '../services/authentication.js';
import { OWNER_ENTITLEMENT, type Entitlement } from '../services/entitlements.js';
import type { QuotaCheck } from '../services/quota.js';
import type { WindowState } from '../services/rate-limiter.js';
import type { ResponseWarning } from '../services/warnings.js';

/** Everything a resolver may use for one request. Built once per request by `createContext`. */
export interface GraphQLContext {
  rt: Runtime;
  /** This request's own unit of work (`em.fork()`), never shared. */
  em: EntityManager;
  caller: Caller;
  clientIp: string;
  requestId: string;
  /** The user's budget for this window once the operation's cost was taken; null for anonymous callers and the owner. */
  rateLimit: WindowState | null;
  /** The caller's effective tier and limits, loaded at most once per request. */
  entitlement(): Promise<Entitlement>;
  /** What a quota reservation needs to know about the caller. */
  quotaCheck(): Promise<QuotaCheck>;
  /** Per-request batching loaders, created on first use. */
  loaders: Map<string, unknown>;
  /** What the operation could not do fully; answered in `extensions.warnings`. */
  warnings: ResponseWarning[];
}

/**
 * The request's EntityManager is forked on first use: many requests (refused, cached, public)
 * never touch the database. The getter lives on a prototype because Apollo shallow-copies the
 * context's own properties before executing, which would fire an own getter at once.
 */
class LazyEntityManager {
  declare rt: Runtime;
  private forkedEm?: EntityManager;

  get em(): EntityManager {
    return (this.forkedEm ??= this.rt.forkEm());
  }
}

export async function createContext(rt: Runtime, request: FastifyRequest): Promise<GraphQLContext> {
  const caller = await rt.authenticator.identify(request.headers);
  let entitlement: Promise<Entitlement> | undefined;
  const context: GraphQLContext = Object.assign(Object.create(LazyEntityManager.prototype) as GraphQLContext, {
    rt,
    caller,
    clientIp: request.clientIp,
    requestId: String(request.id),
    rateLimit: null,
    loaders: new Map(),
    warnings: [],
    entitlement() {
      const principal = requirePrincipal(context);
      entitlement ??= principal.owner ? Promise.resolve(OWNER_ENTITLEMENT) : rt.entitlements.forUser(principal.userId);
      return entitlement;
    },
    async quotaCheck() {
      return { entitlement: await context.entitlement(), publicUrl: rt.config.publicUrl };
    },
  });
  return context;
}

/** The authenticated user, or UNAUTHENTICATED. `@auth` calls this before any resolver runs. */
export function requirePrincipal(context: GraphQLContext): Principal {
  if (context.caller.kind !== 'user') throw unauthenticated();
  return context.caller.principal;
}

/** The authenticated user's id, or null when the call is anonymous. */
export function optionalPrincipal(context: GraphQLContext): Principal | null {
  return context.caller.kind === 'user' ? context.caller.principal : null;
}
