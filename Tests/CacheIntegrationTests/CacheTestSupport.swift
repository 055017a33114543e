import NIOPosix
import Redis
import TestSupport
import Testing

@testable import Cache

/// An item cache on a real redis-server, with the run-id hook a server installs, connected.
func makeCache(_ server: RedisServerProcess, clock: ManualClock, policies: CachePolicies = CachePolicies())
    async throws -> (ItemCache, RedisClient)
{
    let redis = RedisClient(
        configuration: RedisConfiguration(port: server.port), group: MultiThreadedEventLoopGroup.singleton)
    let cache = ItemCache(redis: redis, namespace: "test", policies: policies, clock: clock)
    redis.onConnectHandler.withLockedValue { $0 = { cache.redisConnected(runID: $0) } }
    redis.start()
    #expect(await redis.waitUntilConnected())
    return (cache, redis)
}
