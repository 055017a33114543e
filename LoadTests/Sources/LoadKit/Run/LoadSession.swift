import DynamoModel
import Foundation
import SigV4

/// One invocation of `dynacache-load`: the same workload against each endpoint in turn (two for
/// `--compare`), each with its proxy counters and, where a direct table-store URL is given, the
/// coherence check beside it.
public struct LoadSession: Sendable {
    public struct Target: Sendable, Equatable {
        public var label: String
        public var url: String
        /// The proxy's admin listener, for `/stats` before and after.
        public var adminURL: String?

        public init(label: String, url: String, adminURL: String? = nil) {
            self.label = label
            self.url = url
            self.adminURL = adminURL
        }

        /// `URL` or `label=URL`; the label defaults to the host and port.
        public init?(spec: String) {
            if let eq = spec.firstIndex(of: "="), !spec[..<eq].contains(":") {
                label = String(spec[..<eq])
                url = String(spec[spec.index(after: eq)...])
            } else {
                url = spec
                label = URL(string: spec).map { "\($0.host ?? "?"):\($0.port.map(String.init) ?? "")" } ?? spec
            }
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else { return nil }
        }
    }

    public var workload: Workload
    public var settings: RunSettings
    public var targets: [Target]
    public var adminToken: String?
    /// The table store behind the proxy, for the coherence check's direct writes.
    public var directURL: String?
    public var coherence: CoherenceChecker.Settings?
    public var region: String
    public var credentials: Credentials

    public init(
        workload: Workload, settings: RunSettings, targets: [Target], adminToken: String? = nil,
        directURL: String? = nil,
        coherence: CoherenceChecker.Settings? = nil, region: String = "us-east-1",
        credentials: Credentials = Credentials(accessKeyId: "dynacache-load", secretAccessKey: "dynacache-load")
    ) {
        self.workload = workload
        self.settings = settings
        self.targets = targets
        self.adminToken = adminToken
        self.directURL = directURL
        self.coherence = coherence
        self.region = region
        self.credentials = credentials
    }

    var mode: String {
        if let rate = settings.rate {
            return "open loop, \(Int(rate)) steps/s (max \(settings.concurrency) in flight)"
        }
        return "closed loop, \(settings.concurrency) workers"
    }

    public func run(progress: @escaping @Sendable (String) -> Void) async throws -> [EndpointResult] {
        var results: [EndpointResult] = []
        for target in targets {
            results.append(try await run(target, progress: progress))
        }
        return results
    }

    func run(_ target: Target, progress: @escaping @Sendable (String) -> Void) async throws -> EndpointResult {
        let client = try LoadClient(
            url: target.url, connections: settings.concurrency, region: region, credentials: credentials,
            timeoutMs: settings.timeoutMs)
        do {
            let result = try await run(target, client: client, progress: progress)
            await client.shutdown()
            return result
        } catch {
            await client.shutdown()
            throw error
        }
    }

    func run(_ target: Target, client: LoadClient, progress: @escaping @Sendable (String) -> Void) async throws
        -> EndpointResult
    {
        var checker: CoherenceChecker? = nil
        var direct: LoadClient? = nil
        if let coherence, let directURL, directURL != target.url {
            let d = try LoadClient(
                url: directURL, connections: coherence.writers + 2, region: region, credentials: credentials)
            direct = d
            let c = CoherenceChecker(proxy: client, direct: d, settings: coherence)
            progress("[\(target.label)] coherence: preparing \(coherence.table) (\(coherence.keys) keys)")
            do { try await c.prepare() } catch {
                await d.shutdown()
                throw error
            }
            checker = c
        }
        let runner = LoadRunner(workload: workload, client: client, settings: settings)
        let coherenceChecker = checker
        let before = Box<ProxyCounters?>(nil)
        // the coherence checker's table is its own traffic, not the generator's
        let excluded: Set<String> = checker == nil ? [] : Set([coherence?.table].compactMap { $0 })
        let coherenceTask = Box<Task<CoherenceLedger.Verdict, Never>?>(nil)
        let label = target.label
        let total = settings.durationSeconds
        let (state, seconds) = await runner.run(
            beforeMeasuring: {
                if let admin = target.adminURL {
                    before.value = await ProxyCounters.fetch(
                        client: client, adminURL: admin, token: adminToken, excluding: excluded)
                }
                if let checker = coherenceChecker {
                    let deadline = total.map { Clock.nanos() + UInt64($0 * 1e9) } ?? UInt64.max
                    coherenceTask.value = Task { await checker.run(until: deadline) }
                }
            },
            progress: { state, elapsed in
                progress(Self.progressLine(label: label, state: state, elapsed: elapsed, total: total))
            })
        checker?.stop()
        let verdict = await coherenceTask.value?.value
        var counters: ProxyCounters? = nil
        if let admin = target.adminURL,
            let after = await ProxyCounters.fetch(
                client: client, adminURL: admin, token: adminToken, excluding: excluded)
        {
            counters = after - (before.value ?? ProxyCounters())
        }
        await direct?.shutdown()
        return EndpointResult(
            label: target.label, url: target.url, mode: mode, state: state, seconds: seconds,
            steps: workload.scenario.steps, proxy: counters, coherence: verdict)
    }

    static func progressLine(label: String, state: Recorder.State, elapsed: Double, total: Double?) -> String {
        let last = state.timeline.count >= 2 ? state.timeline[state.timeline.count - 2] : state.timeline.last
        let rate = last?.requests ?? 0
        let p99 = Double(state.latency.valueAtPercentile(99)) / 1_000
        let errors = state.errors.values.reduce(0, +)
        let served = (state.cache["hit"] ?? 0) + (state.cache["stale"] ?? 0) + (state.cache["negative"] ?? 0)
        let lookups = served + (state.cache["miss"] ?? 0)
        let hit = lookups == 0 ? "" : String(format: "  hit %.1f%%", Double(served) / Double(lookups) * 100)
        let of = total.map { String(format: "/%.0fs", $0) } ?? ""
        return "[\(label)] \(Int(elapsed))s\(of)  \(state.requests) req  \(rate) req/s  "
            + String(format: "p99 %.2f ms", p99) + "  errors \(errors)\(hit)"
    }
}

/// A value set inside one closure and read after it (the closures of one run never overlap).
final class Box<T>: @unchecked Sendable {
    var value: T
    init(_ value: T) { self.value = value }
}
