import Histogram

/// One endpoint's run, as the summary table, the JSON report and the HTML page show it.
public struct EndpointResult: Sendable, Codable, Equatable {
    public struct Latency: Sendable, Codable, Equatable {
        public var p50 = 0.0
        public var p90 = 0.0
        public var p99 = 0.0
        public var p999 = 0.0
        public var max = 0.0
        public var mean = 0.0

        /// Milliseconds from a histogram of microseconds.
        public init(_ h: Histogram<UInt64>) {
            guard h.totalCount > 0 else { return }
            func ms(_ us: UInt64) -> Double { Double(us) / 1_000 }
            p50 = ms(h.valueAtPercentile(50))
            p90 = ms(h.valueAtPercentile(90))
            p99 = ms(h.valueAtPercentile(99))
            p999 = ms(h.valueAtPercentile(99.9))
            max = ms(h.max)
            mean = h.mean / 1_000
        }

        public init() {}
    }

    public struct Step: Sendable, Codable, Equatable {
        public var name: String
        public var operation: String
        public var requests: Int
        public var errors: Int
        public var expectedErrors: Int
        public var latency: Latency
    }

    public var label: String
    public var url: String
    /// "closed loop, 16 workers" or "open loop, 2000 steps/s (max 256 in flight)".
    public var mode: String
    public var seconds: Double
    public var requests: Int
    public var throughput: Double
    /// What clients saw (from the intended start in an open loop).
    public var latency: Latency
    /// Send to answer; differs from `latency` only in an open loop.
    public var serviceLatency: Latency
    public var errors: [String: Int]
    public var expectedErrors: [String: Int]
    /// `x-dynacache-cache` values counted (empty when the endpoint is not the proxy).
    public var cacheStatus: [String: Int]
    public var proxy: ProxyCounters?
    public var coherence: CoherenceLedger.Verdict?
    public var steps: [Step]
    public var timeline: [Recorder.Bucket]
    /// (latency ms, fraction of requests at or below), for the CDF chart.
    public var cdf: [[Double]]

    public var errorCount: Int { errors.values.reduce(0, +) }

    /// Answers the cache served over cache lookups, from the response headers.
    public var hitRatio: Double? {
        let served = (cacheStatus["hit"] ?? 0) + (cacheStatus["stale"] ?? 0) + (cacheStatus["negative"] ?? 0)
        let lookups = served + (cacheStatus["miss"] ?? 0)
        return lookups == 0 ? nil : Double(served) / Double(lookups)
    }

    public init(
        label: String, url: String, mode: String, state: Recorder.State, seconds: Double,
        steps scenarioSteps: [Scenario.Step],
        proxy: ProxyCounters?, coherence: CoherenceLedger.Verdict?
    ) {
        self.label = label
        self.url = url
        self.mode = mode
        self.seconds = seconds
        requests = state.requests
        throughput = seconds > 0 ? Double(state.requests) / seconds : 0
        latency = Latency(state.latency)
        serviceLatency = Latency(state.service)
        errors = state.errors
        expectedErrors = state.expectedErrors
        cacheStatus = state.cache
        self.proxy = proxy
        self.coherence = coherence
        steps = zip(scenarioSteps, state.steps).map { step, counts in
            Step(
                name: step.name, operation: step.operation, requests: counts.requests, errors: counts.errors,
                expectedErrors: counts.expectedErrors, latency: Latency(counts.latency))
        }
        // The last bucket holds only the run's final fraction of a second: left out of the charts.
        timeline = Array(state.timeline.prefix(max(1, Int(seconds))))
        cdf = Self.cdf(state.latency)
    }

    /// At most ~200 points, denser in the tail where the percentiles that matter live.
    static func cdf(_ h: Histogram<UInt64>) -> [[Double]] {
        guard h.totalCount > 0 else { return [] }
        var points: [[Double]] = []
        var last = -1.0
        for v in h.percentiles(ticksPerHalfDistance: 5) {
            let ms = Double(v.value) / 1_000
            let fraction = v.percentile / 100
            if ms != last || fraction == 1 {
                points.append([ms, (fraction * 100_000).rounded() / 100_000])
                last = ms
            }
            if points.count >= 200 || fraction >= 1 { break }
        }
        return points
    }
}
