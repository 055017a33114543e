import Cache
import DynamoModel
import NIOConcurrencyHelpers
import Redis
import TableStore

/// Runs one stream consumer per table the proxy caches (and per table named in the settings).
/// Several proxies on one Redis share the work: one instance at a time holds a table's lease
/// (`dc:{ns}:lease:{table}`, a key with expiry renewed while it reads) and reads its stream; its
/// invalidations reach the other instances' L1 tiers through pub/sub, like any other.
public final class ChangeStreamManager: Sendable {
    let store: any TableStore
    let cache: ItemCache
    let redis: RedisClient
    let settings: ChangeStreamSettings
    let schema: @Sendable (String) async -> TableKeySchema?
    public let stats = ChangeStreamStats()
    let owner = RequestID.make()
    let state = NIOLockedValueBox<(tasks: [String: Task<Void, Never>], stopped: Bool)>(([:], false))

    public init(
        store: any TableStore, cache: ItemCache, redis: RedisClient, settings: ChangeStreamSettings,
        schema: @escaping @Sendable (String) async -> TableKeySchema?
    ) {
        self.store = store
        self.cache = cache
        self.redis = redis
        self.settings = settings
        self.schema = schema
    }

    public func start() {
        for table in settings.tables { watch(table) }
    }

    /// Makes sure `table`'s stream is being followed (by this proxy or another); cheap to call
    /// on every cached read. Call it only for tables the table store answered for: every name
    /// starts a task that lives as long as the proxy, and at most `maxTables` do.
    public func watch(_ table: String) {
        guard settings.enabled else { return }
        let isNew = state.withLockedValue { state -> Bool in
            guard !state.stopped, state.tasks[table] == nil else { return false }
            guard state.tasks.count < settings.maxTables else {
                self.stats.refused(table)
                return false
            }
            state.tasks[table] = Task { await self.follow(table) }
            return true
        }
        if isNew { stats.update(table) { $0.state = "starting" } }
    }

    /// Takes the lease when it is free, reads while it is held, and waits when another proxy holds it.
    func follow(_ table: String) async {
        let consumer = TableStreamConsumer(
            table: table, store: store, cache: cache,
            checkpoints: Checkpoints(redis: redis, namespace: cache.namespace),
            schema: schema, stats: stats, settings: settings)
        let leaseKey = "dc:\(cache.namespace):lease:\(table)"
        let lease = String(Int(settings.leaseMilliseconds))
        while !Task.isCancelled && !state.withLockedValue({ $0.stopped }) {
            var taken = (try? await redis.send(["SET", leaseKey, owner, "NX", "PX", lease])) == .simpleString("OK")
            if !taken { taken = (try? await renew(leaseKey, lease)) == true }  // already ours
            guard taken else {
                stats.update(table) { $0.state = "leaseHeldElsewhere" }
                try? await Task.sleep(nanoseconds: UInt64(settings.leaseMilliseconds / 3 * 1_000_000))
                continue
            }
            let held = NIOLockedValueBox(true)
            let renewer = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(nanoseconds: UInt64(self.settings.leaseMilliseconds / 3 * 1_000_000))
                    let kept = (try? await self.renew(leaseKey, lease)) == true
                    held.withLockedValue { $0 = kept }
                    if !kept { return }
                }
            }
            await consumer.run { held.withLockedValue { $0 } && !self.state.withLockedValue { $0.stopped } }
            renewer.cancel()
        }
    }

    static let renewScript = RedisScript(
        """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
            redis.call('PEXPIRE', KEYS[1], ARGV[2])
            return 1
        end
        return 0
        """)

    func renew(_ key: String, _ lease: String) async throws -> Bool {
        let reply = try await redis.eval(
            Self.renewScript, keys: [Array(key.utf8)], arguments: [Array(owner.utf8), Array(lease.utf8)])
        return reply == .integer(1)
    }

    /// Stops every consumer and gives the leases back.
    public func shutdown() async {
        let tasks = state.withLockedValue { state -> [String: Task<Void, Never>] in
            state.stopped = true
            return state.tasks
        }
        for (table, task) in tasks {
            task.cancel()
            _ = try? await redis.eval(
                Self.releaseScript, keys: [Array("dc:\(cache.namespace):lease:\(table)".utf8)],
                arguments: [Array(owner.utf8)])
        }
    }

    static let releaseScript = RedisScript(
        "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0")
}
