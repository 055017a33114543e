import Foundation

/// Everything a load run produced: what was run, each endpoint's result, and — for `--compare` —
/// the second endpoint's figures as ratios of the first's, measured back to back in one run.
public struct LoadReport: Sendable, Codable, Equatable {
    public struct MixEntry: Sendable, Codable, Equatable {
        public var step: String
        public var operation: String
        public var share: Double
    }

    public struct Comparison: Sendable, Codable, Equatable {
        public var base: String
        public var other: String
        /// other / base for each figure: throughput above 1 is better, latencies below 1 are.
        public var throughput: Double
        public var p50: Double
        public var p90: Double
        public var p99: Double
        public var p999: Double
        public var max: Double

        public init(base: EndpointResult, other: EndpointResult) {
            func r(_ a: Double, _ b: Double) -> Double { a == 0 ? 0 : b / a }
            self.base = base.label
            self.other = other.label
            throughput = r(base.throughput, other.throughput)
            p50 = r(base.latency.p50, other.latency.p50)
            p90 = r(base.latency.p90, other.latency.p90)
            p99 = r(base.latency.p99, other.latency.p99)
            p999 = r(base.latency.p999, other.latency.p999)
            max = r(base.latency.max, other.latency.max)
        }
    }

    public var generatedAt: String
    public var scenario: String
    public var description: String
    public var mix: [MixEntry]
    public var distribution: String
    public var scale: Int
    public var itemSizeBytes: Int
    public var runs: [EndpointResult]
    public var comparison: Comparison?

    public init(
        scenario: Scenario, distribution: KeyDistribution, scale: Int, itemSizeBytes: Int, runs: [EndpointResult],
        date: Date = Date()
    ) {
        generatedAt = ISO8601DateFormatter().string(from: date)
        self.scenario = scenario.name
        description = scenario.description
        let total = scenario.steps.reduce(0) { $0 + $1.weight }
        mix = scenario.steps.map {
            MixEntry(step: $0.name, operation: $0.operation, share: total == 0 ? 0 : $0.weight / total)
        }
        self.distribution = distribution.description
        self.scale = scale
        self.itemSizeBytes = itemSizeBytes
        self.runs = runs
        comparison = runs.count == 2 ? Comparison(base: runs[0], other: runs[1]) : nil
    }

    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }

    /// Writes `report.json` and `report.html` into `directory` (created if missing).
    public func write(to directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try json().write(to: URL(fileURLWithPath: directory + "/report.json"))
        try Data(HTMLReport.render(self).utf8).write(to: URL(fileURLWithPath: directory + "/report.html"))
    }
}
