import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../config.js';
import { KEY_PATTERN } from './api-keys.js';
import type { CacheBus } from '../../cache/cache-bus.js';
import { InvalidatingCache } from '../../cache/invalidating-cache.js';
import { constantTimeEqual, sha256Hex } from '../../crypto.js';

/**
 * Who is calling (docs/api.md). Key lookups are cached per instance and dropped everywhere through the
 * cache bus when a key is revoked, so a revoked key stops working on every instance within a second.
 */

export interface Principal {
  userId: string;
  /** Null for the self-hosted owner, whose key lives in the environment. */
  keyId: string | null;
  owner: boolean;
}

export type Caller =
  | { kind: 'anonymous' }
  | { kind: 'invalid' }
  | { kind: 'admin' }
  | { kind: 'user'; principal: Principal };

interface KeyRecord {
  keyId: string;
  userId: string;
}

export class Authenticator {
  private readonly keys: InvalidatingCache<KeyRecord | null>;
  /** When each key's `lastUsedAt` was last queued for writing, on this instance. */
  private readonly lastTouched = new Map<string, number>();
  private readonly touched = new Set<string>();

  constructor(
    private readonly config: Config,
    bus: CacheBus,
    private readonly forkEm: () => EntityManager,
    private readonly ownerUserId: string | null,
  ) {
    this.keys = new InvalidatingCache(bus, 'key', { ttlMs: 5 * 60_000, maxEntries: 200_000 });
  }

  /** Who presents this key: undefined when the request carried none, '' when its header was empty or malformed. */
  async identify(key: string | undefined): Promise<Caller> {
    if (key === undefined) return { kind: 'anonymous' };
    if (key === '') return { kind: 'invalid' };
    if (this.config.adminApiKey && constantTimeEqual(key, this.config.adminApiKey)) return { kind: 'admin' };
    if (!this.config.billingEnabled) {
      if (this.ownerUserId && this.config.stellarApiKey && constantTimeEqual(key, this.config.stellarApiKey)) {
        return { kind: 'user', principal: { userId: this.ownerUserId, keyId: null, owner: true } };
      }
      return { kind: 'invalid' };
    }
    if (!KEY_PATTERN.test(key)) return { kind: 'invalid' };
    const hash = sha256Hex(key);
    const record = await this.keys.get(hash, async () => {
      const [row] = await this.forkEm().execute<{ id: string; user_id: string }[]>(
        `select id, user_id from api_keys where key_hash = ? and revoked_at is null`,
        [hash],
      );
      // Unknown keys are remembered briefly too, so guessing costs no database work.
      return row ? { value: { keyId: row.id, userId: row.user_id } } : { value: null, maxAgeMs: 10_000 };
    });
    if (!record) return { kind: 'invalid' };
    this.touch(record.keyId);
    return { kind: 'user', principal: { userId: record.userId, keyId: record.keyId, owner: false } };
  }

  /** Notes a use; `lastUsedAt` is written at most once a minute per key, in batches. */
  private touch(keyId: string): void {
    const now = Date.now();
    if (now - (this.lastTouched.get(keyId) ?? 0) < 60_000) return;
    this.lastTouched.set(keyId, now);
    this.touched.add(keyId);
    if (this.lastTouched.size > 200_000) this.lastTouched.clear();
  }

  /** Key ids used since the last call; the usage flusher writes them. */
  drainTouched(): string[] {
    const ids = [...this.touched];
    this.touched.clear();
    return ids;
  }
}
