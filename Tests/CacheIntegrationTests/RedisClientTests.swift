import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import TestSupport
import Testing

@testable import Redis

/// The client against a real redis-server (started per test on a free port).
@Suite(.serialized)
struct RedisClientTests {
    let group = MultiThreadedEventLoopGroup.singleton

    func client(
        _ server: RedisServerProcess, password: String? = nil,
        onConnect: @escaping @Sendable (String) -> Void = { _ in }
    )
        async throws -> RedisClient
    {
        let client = RedisClient(
            configuration: RedisConfiguration(port: server.port, password: password),
            group: group,
            onConnect: onConnect
        )
        client.start()
        #expect(await client.waitUntilConnected())
        return client
    }

    @Test func repliesOfEveryKind() async throws {
        let server = try RedisServerProcess()
        let redis = try await client(server)
        defer { Task { await redis.shutdown() } }
        #expect(try await redis.send(["SET", "k", "v"]) == .simpleString("OK"))
        #expect(try await redis.send(["GET", "k"]) == .bulkString(Array("v".utf8)))
        #expect(try await redis.send(["GET", "missing"]) == .null)
        #expect(try await redis.send(["INCR", "n"]) == .integer(1))
        _ = try await redis.send(["HSET", "h", "a", "1", "b", ""])
        let all = try await redis.send(["HGETALL", "h"]).array?.compactMap(\.string)
        #expect(Set(all ?? []) == ["a", "1", "b", ""])
        guard case .error(let message) = try await redis.send(["INCR", "h"]) else {
            Issue.record("expected an error reply")
            return
        }
        #expect(message.hasPrefix("WRONGTYPE"))
        // Binary-safe, and big enough to arrive in many reads.
        let big = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        #expect(try await redis.send(bytes: [Array("SET".utf8), Array("big".utf8), big]) == .simpleString("OK"))
        #expect(try await redis.send(bytes: [Array("GET".utf8), Array("big".utf8)]) == .bulkString(big))
    }

    @Test func pipelinedRepliesMatchTheirCommands() async throws {
        let server = try RedisServerProcess()
        let redis = try await client(server)
        defer { Task { await redis.shutdown() } }
        for i in 0..<50 { _ = try await redis.send(["SET", "p\(i)", "value-\(i)"]) }
        let futures = (0..<2000).map { i in redis.send([Array("GET".utf8), Array("p\(i % 50)".utf8)]) }
        for (i, future) in futures.enumerated() {
            #expect(try await future.get().string == "value-\(i % 50)")
        }
    }

    @Test func scriptsRunAndSurviveAFlushedScriptCache() async throws {
        let server = try RedisServerProcess()
        let redis = try await client(server)
        defer { Task { await redis.shutdown() } }
        let script = RedisScript("return redis.call('INCRBY', KEYS[1], ARGV[1])")
        #expect(try await redis.eval(script, keys: [Array("s".utf8)], arguments: [Array("5".utf8)]) == .integer(5))
        _ = try await redis.send(["SCRIPT", "FLUSH"])
        #expect(try await redis.eval(script, keys: [Array("s".utf8)], arguments: [Array("2".utf8)]) == .integer(7))
    }

    @Test func authenticates() async throws {
        let server = try RedisServerProcess(password: "s3cret")
        let redis = try await client(server, password: "s3cret")
        defer { Task { await redis.shutdown() } }
        #expect(try await redis.send(["PING"]) == .simpleString("PONG"))
        let anonymous = RedisClient(configuration: RedisConfiguration(port: server.port), group: group)
        anonymous.start()
        if await anonymous.waitUntilConnected(timeoutSeconds: 1) {
            guard case .error(let message) = try await anonymous.send(["GET", "x"]) else {
                Issue.record("expected NOAUTH")
                return
            }
            #expect(message.contains("NOAUTH"))
        }
        await anonymous.shutdown()
    }

    @Test func reconnectsAfterARestartAndReportsTheNewRunID() async throws {
        let server = try RedisServerProcess()
        let runIDs = NIOLockedValueBox<[String]>([])
        let redis = try await client(server, onConnect: { id in runIDs.withLockedValue { $0.append(id) } })
        defer { Task { await redis.shutdown() } }
        _ = try await redis.send(["SET", "k", "v"])
        let first = redis.runID
        server.stop()
        // Down: commands fail at once rather than hang.
        var failedFast = false
        for _ in 0..<50 {
            do {
                _ = try await redis.send(["GET", "k"])
            } catch {
                failedFast = true
                break
            }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        #expect(failedFast)
        try server.start()
        #expect(await redis.waitUntilConnected(timeoutSeconds: 10))
        #expect(try await redis.send(["GET", "k"]) == .null)  // a new server knows nothing
        #expect(redis.runID != first)
        #expect(Set(runIDs.withLockedValue { $0 }).count >= 2)
    }

    @Test func aSlowCommandTimesOutAndTheConnectionRecovers() async throws {
        let server = try RedisServerProcess()
        let redis = try await client(server)
        defer { Task { await redis.shutdown() } }
        await #expect(throws: RedisClientError.timeout) {
            _ = try await redis.send(["DEBUG", "SLEEP", "1"])
        }
        try await Task.sleep(nanoseconds: 1_200_000_000)
        #expect(await redis.waitUntilConnected())
        #expect(try await redis.send(["PING"]) == .simpleString("PONG"))
    }
}

@Suite(.serialized)
struct RedisSubscriberTests {
    @Test func receivesPublishedMessagesAndResubscribesAfterARestart() async throws {
        let server = try RedisServerProcess()
        let received = NIOLockedValueBox<[String]>([])
        let subscriber = RedisSubscriber(
            configuration: RedisConfiguration(port: server.port),
            channels: ["dc:invalidate"],
            group: MultiThreadedEventLoopGroup.singleton
        ) { channel, payload in
            received.withLockedValue { $0.append("\(channel)=\(String(decoding: payload, as: UTF8.self))") }
        }
        subscriber.start()
        let publisher = RedisClient(
            configuration: RedisConfiguration(port: server.port), group: MultiThreadedEventLoopGroup.singleton)
        publisher.start()
        #expect(await publisher.waitUntilConnected())
        for _ in 0..<200 where !subscriber.isSubscribed { try await Task.sleep(nanoseconds: 10_000_000) }
        #expect(try await publisher.send(["PUBLISH", "dc:invalidate", "key-1"]) == .integer(1))
        _ = try await publisher.send(["PUBLISH", "other", "ignored"])
        for _ in 0..<100 where received.withLockedValue({ $0.isEmpty }) {
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        #expect(received.withLockedValue { $0 } == ["dc:invalidate=key-1"])

        server.stop()
        try server.start()
        #expect(await publisher.waitUntilConnected(timeoutSeconds: 10))
        for _ in 0..<500 where !subscriber.isSubscribed { try await Task.sleep(nanoseconds: 10_000_000) }
        #expect(try await publisher.send(["PUBLISH", "dc:invalidate", "key-2"]) == .integer(1))
        for _ in 0..<100 where received.withLockedValue({ $0.count }) < 2 {
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        #expect(received.withLockedValue { $0 } == ["dc:invalidate=key-1", "dc:invalidate=key-2"])
        await subscriber.shutdown()
        await publisher.shutdown()
    }
}
