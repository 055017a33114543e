import Redis

/// The few atomic steps of the item cache, as Lua scripts run with EVALSHA.
enum ItemCacheScripts {
    /// Read one variant and, when it must be filled, try to take its lease in the same step.
    /// KEYS[1] item hash; ARGV: field, token ("<ms>:<id>"), now ms, lease timeout ms, outer TTL ms.
    /// Returns {envelope or false, leased 1/0, tombstone-until or false}.
    static let readOrLease = RedisScript(
        """
        local entry = redis.call('HGET', KEYS[1], ARGV[1])
        local tomb = redis.call('HGET', KEYS[1], '~tomb')
        if ARGV[2] == '' then return {entry or false, 0, tomb or false} end
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

    /// Delete items (every variant and lease) and leave a tombstone in each.
    /// KEYS: item hashes; ARGV: tombstone-until ms, tombstone TTL ms.
    static let invalidate = RedisScript(
        """
        for _, key in ipairs(KEYS) do
            redis.call('DEL', key)
            redis.call('HSET', key, '~tomb', ARGV[1])
            redis.call('PEXPIRE', key, ARGV[2])
        end
        return #KEYS
        """
    )
}
