import Redis

/// Where each shard of a stream was read to, kept in Redis beside the cache it protects
/// (`dc:{ns}:ckpt:{stream ARN}`, shard → last sequence number, or `done`). A checkpoint is only
/// worth as much as the cached entries it keeps correct, and those live in the same Redis: if
/// Redis loses one it loses the other, and the consumer starts again from LATEST after dropping
/// the table's entries — which is what a lost checkpoint calls for anyway.
struct Checkpoints: Sendable {
    let redis: RedisClient
    let namespace: String

    func key(_ arn: String) -> String { "dc:\(namespace):ckpt:\(arn)" }

    func load(_ arn: String) async throws -> [String: String] {
        let reply = try await redis.send(["HGETALL", key(arn)])
        let parts = reply.array ?? []
        var out: [String: String] = [:]
        var i = 0
        while i + 1 < parts.count {
            if let shard = parts[i].string, let value = parts[i + 1].string { out[shard] = value }
            i += 2
        }
        return out
    }

    func save(_ arn: String, shard: String, value: String) async throws {
        _ = try await redis.send(["HSET", key(arn), shard, value])
        _ = try await redis.send(["PEXPIRE", key(arn), String(3 * 24 * 3_600 * 1_000)])
    }
}
