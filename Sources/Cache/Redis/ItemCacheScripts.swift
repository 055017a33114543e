import Redis

/// The few atomic steps of the cache, as Lua scripts run with EVALSHA. Items, query groups and
/// scan groups share them: each is a hash of variants with `~lease:` and `~tomb` fields.
///
/// Query groups of a GSI are also listed in their index's registry hash, so a write that cannot
/// name the index partitions it touched drops every group of the index at once. The registry
/// keys are read inside the scripts, which ties them to one Redis (not Cluster; DESIGN.md).
enum ItemCacheScripts {
    /// Read one variant and, when it must be filled, try to take its lease in the same step.
    /// KEYS[1] group hash, KEYS[2] (optional) index registry;
    /// ARGV: field, token ("<ms>:<id>") or "" to only read, now ms, lease timeout ms, outer TTL ms,
    /// "1" to refuse a lease inside a tombstone (a fill that cannot read consistently).
    /// Returns {envelope or false, leased 1/0, tombstone-until or false}.
    static let readOrLease = RedisScript(
        """
        local entry = redis.call('HGET', KEYS[1], ARGV[1])
        local tomb = redis.call('HGET', KEYS[1], '~tomb')
        if KEYS[2] then
            local indexTomb = redis.call('HGET', KEYS[2], '~tomb')
            if indexTomb and (not tomb or tonumber(indexTomb) > tonumber(tomb)) then tomb = indexTomb end
        end
        if ARGV[2] == '' then return {entry or false, 0, tomb or false} end
        if ARGV[6] == '1' and tomb and tonumber(tomb) > tonumber(ARGV[3]) then return {entry or false, 0, tomb} end
        local leaseField = '~lease:' .. ARGV[1]
        local lease = redis.call('HGET', KEYS[1], leaseField)
        if lease then
            local t = tonumber(string.match(lease, '^(%d+):'))
            if t and tonumber(ARGV[3]) - t < tonumber(ARGV[4]) then return {entry or false, 0, tomb or false} end
        end
        redis.call('HSET', KEYS[1], leaseField, ARGV[2])
        if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[5]) end
        if KEYS[2] then
            redis.call('HSET', KEYS[2], KEYS[1], '1')
            if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[5]) then redis.call('PEXPIRE', KEYS[2], ARGV[5]) end
        end
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

    /// Delete groups (every variant and lease) and leave a tombstone in each; then drop every
    /// group listed in each registry and leave a tombstone in the registry; then tell the other
    /// proxies' L1 tiers. KEYS: the first ARGV[3] are groups, the rest registries;
    /// ARGV: tombstone-until ms, tombstone TTL ms, group count, channel, message ("" for none).
    static let invalidate = RedisScript(
        """
        local groups = tonumber(ARGV[3])
        for i, key in ipairs(KEYS) do
            if i > groups then
                local members = redis.call('HKEYS', key)
                for _, member in ipairs(members) do
                    if string.sub(member, 1, 1) ~= '~' then redis.call('DEL', member) end
                end
            end
            redis.call('DEL', key)
            redis.call('HSET', key, '~tomb', ARGV[1])
            redis.call('PEXPIRE', key, ARGV[2])
        end
        if ARGV[5] ~= '' then redis.call('PUBLISH', ARGV[4], ARGV[5]) end
        return #KEYS
        """
    )
}
