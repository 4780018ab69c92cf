import type { EntityManager } from '@mikro-orm/postgresql';
import { rateLimited, unauthenticated } from './errors.js';
import type { Runtime } from './runtime.js';
import type { Caller, Principal } from './services/accounts/authentication.js';
import { OWNER_ENTITLEMENT, type Entitlement } from './services/billing/entitlements.js';
import type { StoreDeps } from './services/memories/memory-store.js';
import type { QuotaCheck } from './services/limits/quota.js';
import { readUserWindow, spendUserBudget, type WindowState } from './services/limits/rate-limiter.js';
import type { RecallDeps } from './services/memories/recall.js';
import type { ResponseWarning } from './services/warnings.js';

/**
 * What one request to an adapter (a GraphQL operation, an MCP message) knows and holds: the
 * caller, its unit of work, its budget window, and what it could not do fully. Both adapters build
 * it the same way and hand it to the same services, so a rule never depends on the door it came in by.
 */
export interface RequestScope {
  rt: Runtime;
  /** This request's own unit of work (`em.fork()`), never shared. */
  em: EntityManager;
  caller: Caller;
  requestId: string;
  /** The user's budget for this window once the request's cost was taken; null for anonymous callers and the owner. */
  rateLimit: WindowState | null;
  /** The caller's effective tier and limits, loaded at most once per request. */
  entitlement(): Promise<Entitlement>;
  /** What a quota reservation needs to know about the caller. */
  quotaCheck(): Promise<QuotaCheck>;
  /** What the request could not do fully (e.g. semantic matching skipped), answered beside its result. */
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

/** A new scope for a request from `caller`, with the adapter's own fields in `extra`. */
export function createRequestScope<T extends object>(rt: Runtime, caller: Caller, requestId: string, extra: T): RequestScope & T {
  let entitlement: Promise<Entitlement> | undefined;
  const scope: RequestScope & T = Object.assign(Object.create(LazyEntityManager.prototype) as RequestScope & T, extra, {
    rt,
    caller,
    requestId,
    rateLimit: null,
    warnings: [],
    entitlement() {
      const principal = requirePrincipal(scope);
      entitlement ??= principal.owner ? Promise.resolve(OWNER_ENTITLEMENT) : rt.entitlements.forUser(principal.userId);
      return entitlement;
    },
    async quotaCheck() {
      return { entitlement: await scope.entitlement(), publicUrl: rt.config.publicUrl };
    },
  });
  return scope;
}

/** The authenticated user, or UNAUTHENTICATED. */
export function requirePrincipal(scope: Pick<RequestScope, 'caller'>): Principal {
  if (scope.caller.kind !== 'user') throw unauthenticated();
  return scope.caller.principal;
}

/** The user whose per-minute budget this request spends: null for anonymous callers and the unlimited owner. */
const meteredUser = (scope: RequestScope) => (scope.caller.kind === 'user' && !scope.caller.principal.owner ? scope.caller.principal.userId : null);

/**
 * Spends `cost` units of the caller's per-minute budget before anything runs (the `@rateLimit`
 * rule, see docs/mcp.md for its MCP side): the whole cost or nothing, RATE_LIMITED when the window
 * has less left, INTERNAL_SERVER_ERROR when the counter store cannot answer. Records the window on
 * the scope for the response's headers.
 */
export async function chargeRequest(scope: RequestScope, cost: number): Promise<void> {
  const userId = meteredUser(scope);
  if (userId === null) return;
  const { limits } = await scope.entitlement();
  const window = await spendUserBudget(scope.rt, userId, limits.requestsPerMinute, cost);
  scope.rateLimit = window;
  if (window && !window.allowed) throw rateLimited(window.limit, window.resetAt);
}

/**
 * The window to report in the rate-limit headers of a response: the one the request was counted
 * in, or, for a request that never reached the limiter (it did not parse, or was only a protocol
 * message), the window as it is. Null when there is nothing to report or the store cannot answer.
 */
export async function windowForHeaders(scope: RequestScope | undefined): Promise<WindowState | null> {
  if (!scope) return null;
  if (scope.rateLimit) return scope.rateLimit;
  const userId = meteredUser(scope);
  if (userId === null) return null;
  const entitlement = await scope.entitlement().catch(() => null);
  return entitlement ? readUserWindow(scope.rt, userId, entitlement.limits.requestsPerMinute) : null;
}

/** What the memory services need from a request: its unit of work, the caller, the meter, semantic search, and where warnings go. */
export function memoryDeps(scope: RequestScope): RecallDeps {
  return {
    em: scope.em,
    userId: requirePrincipal(scope).userId,
    usage: scope.rt.usage,
    semantic: scope.rt.semantic,
    warn: (warning) => scope.warnings.push(warning),
  };
}

/** The same for a store, with the caller's quota (resolved before the store's transaction opens). */
export async function storeDeps(scope: RequestScope): Promise<StoreDeps> {
  return { ...memoryDeps(scope), quota: await scope.quotaCheck(), combiner: scope.rt.storeCombiner, storedWithoutVector: () => scope.rt.embeddingWorker.wake() };
}
