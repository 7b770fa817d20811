/**
 * Event source mappings and their per-shard checkpoints and leases, on the
 * tables of triggers-migrations.ts. Built on a `Db` alone:
 * `new TriggersRepo(store.db)` after `openStore({ url, migrations: TRIGGERS_MIGRATIONS })`.
 *
 * Leases: a shard row's `lease_owner` / `lease_until` say which node polls the
 * shard. A node takes a shard when nobody holds it, it holds it already, or
 * the holder's lease ran out; it renews all its leases in one statement; every
 * checkpoint is written only `WHERE lease_owner = <me>`, so a node that lost
 * its shard (paused past its lease, another node took over) can never move
 * the other node's checkpoint, and learns of the loss from the write.
 *
 * Times are the caller's clock (epoch ms); nodes sharing PostgreSQL need NTP.
 */
import type { Db, Queryable } from './db';
import { compareNames } from './repo-utils';

/** A mapping as stored: the configuration is the triggers layer's JSON, opaque here. */
export interface StoredMapping {
  uuid: string;
  functionName: string;
  eventSourceArn: string;
  config: string;
  lastProcessingResult: string;
  createdAt: number;
  lastModified: number;
}

/** Where a mapping's poller stands in one shard. */
export interface ShardPosition {
  shardId: string;
  /** Last sequence number processed; null: from the start of the shard. */
  checkpoint: string | null;
  /** Closed and read to its end: its children may start. */
  finished: boolean;
  leaseOwner: string | null;
  leaseUntil: number;
}

/** A shard's initial position, written with the mapping (e.g. LATEST snapshots the tip of every shard). */
export interface InitialShardPosition {
  shardId: string;
  checkpoint: string | null;
  finished: boolean;
}

export interface ShardKey {
  mappingUuid: string;
  shardId: string;
}

interface MappingRow {
  uuid: string;
  function_name: string;
  event_source_arn: string;
  config: string;
  last_processing_result: string;
  created_at: number;
  last_modified: number;
}

interface ShardRow {
  shard_id: string;
  checkpoint: string | null;
  finished: number;
  lease_owner: string | null;
  lease_until: number;
}

const MAPPING_COLUMNS = 'uuid, function_name, event_source_arn, config, last_processing_result, created_at, last_modified';

export class TriggersRepo {
  constructor(private readonly db: Db) {}

  /**
   * Inserts a mapping and its initial shard positions in one transaction,
   * unless a mapping of the same function and source exists (AWS allows one
   * per pair: ResourceConflictException); then returns that one.
   */
  async insertMapping(m: StoredMapping, shards: readonly InitialShardPosition[] = []): Promise<{ created: StoredMapping } | { conflict: StoredMapping }> {
    return this.db.tx(async (t) => {
      await t.lock(pairLock(m.functionName, m.eventSourceArn));
      const existing = await findPair(t, m.functionName, m.eventSourceArn, null);
      if (existing) return { conflict: existing };
      await t.run(`INSERT INTO triggers_esm (${MAPPING_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`, [
        m.uuid,
        m.functionName,
        m.eventSourceArn,
        m.config,
        m.lastProcessingResult,
        m.createdAt,
        m.lastModified,
      ]);
      if (shards.length > 0) {
        await t.insertRows(
          'triggers_esm_shards',
          ['mapping_uuid', 'shard_id', 'checkpoint', 'finished', 'lease_owner', 'lease_until', 'updated_at'],
          shards.map((s) => [m.uuid, s.shardId, s.checkpoint, s.finished, null, 0, m.createdAt]),
        );
      }
      return { created: m };
    });
  }

  async getMapping(uuid: string): Promise<StoredMapping | null> {
    const row = await this.db.get<MappingRow>(`SELECT ${MAPPING_COLUMNS} FROM triggers_esm WHERE uuid = ?`, [uuid]);
    return row ? toMapping(row) : null;
  }

  /** Mappings of a function and/or a source (both optional), oldest first (then by uuid). */
  async listMappings(q: { functionName?: string; eventSourceArn?: string } = {}): Promise<StoredMapping[]> {
    const where: string[] = [];
    const params: string[] = [];
    if (q.functionName !== undefined) {
      where.push('function_name = ?');
      params.push(q.functionName);
    }
    if (q.eventSourceArn !== undefined) {
      where.push('event_source_arn = ?');
      params.push(q.eventSourceArn);
    }
    const rows = await this.db.all<MappingRow>(
      `SELECT ${MAPPING_COLUMNS} FROM triggers_esm${where.length ? ' WHERE ' + where.join(' AND ') : ''}`,
      params,
    );
    return rows.map(toMapping).sort((a, b) => a.createdAt - b.createdAt || compareNames(a.uuid, b.uuid));
  }

  /**
   * Read-modify-write of one mapping in a transaction. `change` gets the
   * current row and returns the new function name, config and time (it must
   * be pure: it runs inside the transaction). Moving the mapping to a
   * function that already has a mapping of this source is a conflict.
   * Null when the mapping does not exist.
   */
  async updateMapping(
    uuid: string,
    change: (current: StoredMapping) => { functionName: string; config: string; lastModified: number },
  ): Promise<{ updated: StoredMapping } | { conflict: StoredMapping } | null> {
    return this.db.tx(async (t) => {
      const row = await t.get<MappingRow>(`SELECT ${MAPPING_COLUMNS} FROM triggers_esm WHERE uuid = ?`, [uuid]);
      if (!row) return null;
      const current = toMapping(row);
      const next = change(current);
      if (next.functionName !== current.functionName) {
        await t.lock(pairLock(next.functionName, current.eventSourceArn));
        const other = await findPair(t, next.functionName, current.eventSourceArn, uuid);
        if (other) return { conflict: other };
      }
      await t.run('UPDATE triggers_esm SET function_name = ?, config = ?, last_modified = ? WHERE uuid = ?', [
        next.functionName,
        next.config,
        next.lastModified,
        uuid,
      ]);
      return { updated: { ...current, ...next } };
    });
  }

  /** Status only: not a configuration change, so LastModified stays. */
  async setLastProcessingResult(uuid: string, result: string): Promise<void> {
    await this.db.run('UPDATE triggers_esm SET last_processing_result = ? WHERE uuid = ?', [result, uuid]);
  }

  /** Deletes the mapping and its shard positions; returns what was deleted, or null. */
  async deleteMapping(uuid: string): Promise<StoredMapping | null> {
    return this.db.tx(async (t) => {
      const row = await t.get<MappingRow>(`SELECT ${MAPPING_COLUMNS} FROM triggers_esm WHERE uuid = ?`, [uuid]);
      if (!row) return null;
      await t.run('DELETE FROM triggers_esm_shards WHERE mapping_uuid = ?', [uuid]);
      await t.run('DELETE FROM triggers_esm WHERE uuid = ?', [uuid]);
      return toMapping(row);
    });
  }

  /** Every shard position recorded for a mapping (shards never polled have none: they start from their beginning). */
  async listShards(mappingUuid: string): Promise<ShardPosition[]> {
    const rows = await this.db.all<ShardRow>(
      'SELECT shard_id, checkpoint, finished, lease_owner, lease_until FROM triggers_esm_shards WHERE mapping_uuid = ?',
      [mappingUuid],
    );
    return rows.map((r) => ({
      shardId: r.shard_id,
      checkpoint: r.checkpoint,
      finished: Number(r.finished) === 1,
      leaseOwner: r.lease_owner,
      leaseUntil: Number(r.lease_until),
    }));
  }

  /**
   * Takes the lease of a shard that is not finished, when it is free, already
   * ours, or expired; creates the row (position: start of shard) on first use.
   * Returns the checkpoint to resume from, or null when someone else holds the
   * shard, it is finished, or the mapping is gone.
   */
  async acquireShard(mappingUuid: string, shardId: string, owner: string, leaseMs: number, now: number): Promise<{ checkpoint: string | null } | null> {
    const until = Math.floor(now + leaseMs);
    const row = await this.db.get<{ checkpoint: string | null; finished: number }>(
      `INSERT INTO triggers_esm_shards (mapping_uuid, shard_id, checkpoint, finished, lease_owner, lease_until, updated_at)
       SELECT ?, ?, NULL, 0, ?, ?, ? WHERE EXISTS (SELECT 1 FROM triggers_esm WHERE uuid = ?)
       ON CONFLICT (mapping_uuid, shard_id) DO UPDATE
         SET lease_owner = excluded.lease_owner, lease_until = excluded.lease_until, updated_at = excluded.updated_at
         WHERE triggers_esm_shards.finished = 0
           AND (triggers_esm_shards.lease_owner IS NULL OR triggers_esm_shards.lease_owner = excluded.lease_owner OR triggers_esm_shards.lease_until < ?)
       RETURNING checkpoint, finished`,
      [mappingUuid, shardId, owner, until, Math.floor(now), mappingUuid, Math.floor(now)],
    );
    if (!row || Number(row.finished) === 1) return null;
    return { checkpoint: row.checkpoint };
  }

  /** Extends every lease `owner` holds; returns the shards it still holds (a missing one was taken over). */
  async renewLeases(owner: string, leaseMs: number, now: number): Promise<ShardKey[]> {
    const rows = await this.db.tx(
      (t) =>
        t.all<{ mapping_uuid: string; shard_id: string }>(
          'UPDATE triggers_esm_shards SET lease_until = ? WHERE lease_owner = ? RETURNING mapping_uuid, shard_id',
          [Math.floor(now + leaseMs), owner],
        ),
      // Losing a renewal in a power failure only lets the lease expire sooner.
      { relaxed: true },
    );
    return rows.map((r) => ({ mappingUuid: r.mapping_uuid, shardId: r.shard_id }));
  }

  /** Gives leases back (all of `owner`'s, or the listed ones) so another node may take them at once. */
  async releaseLeases(owner: string, keys?: readonly ShardKey[]): Promise<void> {
    if (keys === undefined) {
      await this.db.run('UPDATE triggers_esm_shards SET lease_owner = NULL, lease_until = 0 WHERE lease_owner = ?', [owner]);
      return;
    }
    if (keys.length === 0) return;
    await this.db.tx(async (t) => {
      for (const k of keys) {
        await t.run(
          'UPDATE triggers_esm_shards SET lease_owner = NULL, lease_until = 0 WHERE mapping_uuid = ? AND shard_id = ? AND lease_owner = ?',
          [k.mappingUuid, k.shardId, owner],
        );
      }
    });
  }

  /**
   * Records progress in a shard (and, with `finished`, that it is done) if
   * `owner` still holds its lease; false when the lease was taken over. Fully
   * durable: the next batch goes out only after this resolves.
   */
  async checkpoint(mappingUuid: string, shardId: string, owner: string, sequence: string | null, finished: boolean, now: number): Promise<boolean> {
    const r = await this.db.run(
      `UPDATE triggers_esm_shards SET checkpoint = ?, finished = ?, updated_at = ?
       WHERE mapping_uuid = ? AND shard_id = ? AND lease_owner = ?`,
      [sequence, finished, Math.floor(now), mappingUuid, shardId, owner],
    );
    return r.changes > 0;
  }
}

function pairLock(functionName: string, eventSourceArn: string): string {
  return `triggers:esm:${functionName}\n${eventSourceArn}`;
}

async function findPair(q: Queryable, functionName: string, eventSourceArn: string, exceptUuid: string | null): Promise<StoredMapping | null> {
  const rows = await q.all<MappingRow>(
    `SELECT ${MAPPING_COLUMNS} FROM triggers_esm WHERE function_name = ? AND event_source_arn = ?`,
    [functionName, eventSourceArn],
  );
  const other = rows.find((r) => r.uuid !== exceptUuid);
  return other ? toMapping(other) : null;
}

function toMapping(r: MappingRow): StoredMapping {
  return {
    uuid: r.uuid,
    functionName: r.function_name,
    eventSourceArn: r.event_source_arn,
    config: r.config,
    lastProcessingResult: r.last_processing_result,
    createdAt: Number(r.created_at),
    lastModified: Number(r.last_modified),
  };
}
