import DynamoModel
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import TableStore

/// Goodput against a throttling upstream: the retry policy (full jitter, budget, adaptive rate)
/// vs immediate retries, same upstream, same clients, same run.
///
/// The upstream admits `rate` writes a second (a provisioned table's capacity, with a burst) and
/// handles one request at a time for `serviceTime` each, throttled or not, so every needless
/// retry delays everyone's next request, as it does on a real shared endpoint.
enum RetryBenchmark {
    static func run() async throws {
        let duration = 3.0
        let clients = 32
        print(
            "retry benchmark: \(clients) closed-loop clients, \(Int(duration)) s per variant, upstream admits 1000 writes/s (burst 100), 0.2 ms per request"
        )
        for round in 1...2 {
            for (name, makeStore) in [
                ("retry policy", { (u: ThrottledUpstream) -> any TableStore in RetryingTableStore(wrapping: u) }),
                (
                    "immediate retries",
                    { (u: ThrottledUpstream) -> any TableStore in ImmediateRetries(inner: u, maxAttempts: 8) }
                ),
            ] as [(String, (ThrottledUpstream) -> any TableStore)] {
                let upstream = ThrottledUpstream(rate: 1000, burst: 100, serviceTime: 0.0002)
                let store = makeStore(upstream)
                let result = try await drive(store, clients: clients, duration: duration)
                if let retrying = store as? RetryingTableStore {
                    print("  retries: \(JSONWriter.string(retrying.statsJSON()))")
                }
                print(
                    String(
                        format:
                            "round %d %-18@ goodput %6.0f ops/s | client errors %5.1f%% | upstream %6.0f req/s | op p50 %6.1f ms p99 %7.1f ms",
                        round,
                        name as NSString,
                        Double(result.successes) / duration,
                        100 * Double(result.failures) / Double(max(1, result.successes + result.failures)),
                        Double(upstream.requests) / duration,
                        result.p50 * 1000,
                        result.p99 * 1000
                    )
                )
            }
        }
    }

    struct Result {
        var successes = 0
        var failures = 0
        var p50 = 0.0
        var p99 = 0.0
    }

    static func drive(_ store: any TableStore, clients: Int, duration: Double) async throws -> Result {
        let start = Date()
        let outcomes = try await withThrowingTaskGroup(of: (Int, Int, [Double]).self) { group in
            for client in 0..<clients {
                group.addTask {
                    var ok = 0
                    var failed = 0
                    var latencies: [Double] = []
                    var i = 0
                    while Date().timeIntervalSince(start) < duration {
                        let body = #"{"TableName":"Hot","Item":{"pk":{"S":"c\#(client)-\#(i)"}}}"#
                        let t = Date()
                        let response = try await store.send(
                            TableStoreRequest(
                                operation: Operation(family: .dynamoDB, name: "PutItem"), body: Array(body.utf8))
                        )
                        latencies.append(Date().timeIntervalSince(t))
                        if response.status == 200 { ok += 1 } else { failed += 1 }
                        i += 1
                    }
                    return (ok, failed, latencies)
                }
            }
            var all = (0, 0, [Double]())
            for try await (ok, failed, latencies) in group {
                all.0 += ok
                all.1 += failed
                all.2 += latencies
            }
            return all
        }
        let sorted = outcomes.2.sorted()
        return Result(
            successes: outcomes.0,
            failures: outcomes.1,
            p50: sorted.isEmpty ? 0 : sorted[sorted.count / 2],
            p99: sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, sorted.count * 99 / 100)]
        )
    }
}

/// The simulated upstream (see `RetryBenchmark`).
final class ThrottledUpstream: TableStore, @unchecked Sendable {
    let rate: Double
    let burst: Double
    let serviceTime: Double
    let lock = NIOLock()
    var tokens: Double
    var lastRefill = Date().timeIntervalSince1970
    var freeAt = 0.0
    var requests = 0

    init(rate: Double, burst: Double, serviceTime: Double) {
        self.rate = rate
        self.burst = burst
        self.serviceTime = serviceTime
        self.tokens = burst
    }

    static let ok = ByteBuffer(string: "{}")
    static let throttled = ByteBuffer(
        string:
            #"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"throttled"}"#
    )

    func send(_ request: TableStoreRequest) async throws -> TableStoreResponse {
        let now = Date().timeIntervalSince1970
        let (done, admitted): (Double, Bool) = lock.withLock {
            requests += 1
            let begin = max(now, freeAt)
            freeAt = begin + serviceTime
            tokens = min(burst, tokens + (freeAt - lastRefill) * rate)
            lastRefill = freeAt
            if tokens >= 1 {
                tokens -= 1
                return (freeAt, true)
            }
            return (freeAt, false)
        }
        let wait = done - now
        if wait > 0 { try await Task.sleep(nanoseconds: UInt64(wait * 1e9)) }
        return TableStoreResponse(status: admitted ? 200 : 400, headers: [], body: admitted ? Self.ok : Self.throttled)
    }

    func shutdown() async throws {}
}

/// The naive alternative: retry throttles at once, up to `maxAttempts`.
struct ImmediateRetries: TableStore {
    let inner: any TableStore
    let maxAttempts: Int

    func send(_ request: TableStoreRequest) async throws -> TableStoreResponse {
        var response = try await inner.send(request)
        var attempt = 1
        while response.status != 200 && attempt < maxAttempts {
            response = try await inner.send(request)
            attempt += 1
        }
        return response
    }

    func shutdown() async throws {}
}
