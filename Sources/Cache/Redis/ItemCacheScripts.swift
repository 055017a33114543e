import Redis

/// The few atomic steps of the cache, as Lua scripts run with EVALSHA. Items, query groups and
/// scan groups share them: each is a hash of variants with `~lease:` and `~tomb` fields. Each
/// script touches one key, so each runs wherever that key's slot lives (Redis Cluster).
enum ItemCacheScripts {
    /// Read one variant and, when it must be filled, try to take its lease in the same step.
    /// KEYS[1] group hash; ARGV: field, token ("<ms>:<id>"), now ms, lease timeout ms, outer TTL
    /// ms, "1" to refuse a lease inside a tombstone (a fill that cannot read consistently).
    /// Returns {envelope or false, leased 1/0, tombstone-until or false}.
    static let readOrLease = RedisScript(
        """
        local entry = redis.call('HGET', KEYS[1], ARGV[1])
        local tomb = redis.call('HGET', KEYS[1], '~tomb')
        if ARGV[6] == '1' and tomb and tonumber(tomb) > tonumber(ARGV[3]) then return {entry or false, 0, tomb} end
        local leaseField = '~lease:' .. ARGV[1]
        local lease = redis.call('HGET', KEYS[1], leaseField)
        if lease then
            local t = tonumber(string.match(lease, '^(%d+):'))
            if t and tonumber(ARGV[3]) - t < tonumber(ARGV[4]) then return {entry or false, 0, tomb or false} end
        end
        redis.call('HSET', KEYS[1], leaseField, ARGV[2])
        if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[5]) end
        return {entry or false, 1, tomb or false}
        """
    )

    /// Store a variant only if this filler still holds its lease (an invalidation deletes the
    /// hash, lease and all). KEYS[1]; ARGV: field, token, envelope, outer TTL ms. Returns 1/0.
    static let fill = RedisScript(
        """
        local leaseField = '~lease:' .. ARGV[1]
        if redis.call('HGET', KEYS[1], leaseField) ~= ARGV[2] then return 0 end
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
        redis.call('HDEL', KEYS[1], leaseField)
        redis.call('PEXPIRE', KEYS[1], ARGV[4])
        return 1
        """
    )

    /// Delete groups (every variant and lease) and leave a tombstone in each, then tell every
    /// proxy's L1 tier. KEYS: the groups; ARGV: tombstone-until ms, tombstone TTL ms, channel,
    /// message.
    static let invalidate = RedisScript(
        """
        for _, key in ipairs(KEYS) do
            redis.call('DEL', key)
            redis.call('HSET', key, '~tomb', ARGV[1])
            redis.call('PEXPIRE', key, ARGV[2])
        end
        redis.call('PUBLISH', ARGV[3], ARGV[4])
        return #KEYS
        """
    )

    /// A table's (or its indexes') generations, made when missing, with their tombstones.
    /// KEYS[1] generations hash; ARGV: a new token, then the fields wanted (`t`, `i:NAME`).
    /// Returns {token, tombstone-until or false} per field.
    static let generations = RedisScript(
        """
        local out = {}
        for i = 2, #ARGV do
            redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[1])
            table.insert(out, redis.call('HGET', KEYS[1], ARGV[i]))
            table.insert(out, redis.call('HGET', KEYS[1], '~' .. ARGV[i]) or false)
        end
        return out
        """
    )

    /// Whole-table or whole-index invalidation in O(1): new tokens for the fields named, each
    /// with a tombstone, then tell every proxy's L1 tier. KEYS[1] generations hash; ARGV:
    /// tombstone-until ms, channel, message, then pairs of field and new token.
    static let bump = RedisScript(
        """
        for i = 4, #ARGV, 2 do
            redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
            local tomb = tonumber(redis.call('HGET', KEYS[1], '~' .. ARGV[i]) or '0')
            if tonumber(ARGV[1]) > tomb then redis.call('HSET', KEYS[1], '~' .. ARGV[i], ARGV[1]) end
        end
        redis.call('PUBLISH', ARGV[2], ARGV[3])
        return 1
        """
    )
}
