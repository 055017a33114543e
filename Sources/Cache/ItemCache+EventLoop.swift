import DynamoModel
import NIOCore
import Redis

extension ItemCache {
    /// The hit path without leaving the event loop: when the request is cacheable, L1 or one
    /// HGET on a Redis connection of `eventLoop` answers fresh and negative hits (counted here).
    /// Nil, or a future of nil, means "take the full path".
    public func freshHit(request: JSONValue, on eventLoop: any EventLoop) -> EventLoopFuture<
        (body: [UInt8], status: CacheStatus)?
    >? {
        guard case .cacheable(let table, let keyItem, let projection) = GetItemCacheability.decide(request) else {
            return nil
        }
        let policy = policies.policy(for: table)
        guard policy.enabled else { return nil }
        let key = CacheEntryKey(
            namespace: namespace, table: table, keyItem: keyItem, projection: projection)
        let now = clock.nowMilliseconds()
        if let entry = l1?.lookup(key, policy: policy, now: now) {
            let (answer, status) = served(entry, policy: policy, now: now, key: key)
            return eventLoop.makeSucceededFuture((answer.body, status))
        }
        guard let redis, let connection = redis.connection(preferring: eventLoop),
            connection.eventLoop === eventLoop,
            state.withLockedValue({ !$0.untrusted && $0.pending.isEmpty })
        else { return nil }
        let generation = l1?.generation() ?? 0
        return Self.current(key, on: connection).map { entry -> (body: [UInt8], status: CacheStatus)? in
            guard let entry else { return nil }
            switch policy.freshness(of: entry, now: now) {
            case .negative, .fresh:
                self.l1?.insert(key, envelope: entry, now: now, readGeneration: generation)
                let (answer, status) = self.served(entry, policy: policy, now: now, key: key)
                return (answer.body, status)
            case .revalidate, .expired:
                return nil
            }
        }.recover { _ in nil }
    }
}
