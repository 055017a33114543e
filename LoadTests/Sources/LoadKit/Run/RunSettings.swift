import Foundation

/// How hard and how long to drive an endpoint.
///
/// Closed loop (`rate == nil`): `concurrency` workers, each sending its next request when the
/// last is answered; throughput is whatever the endpoint sustains. Open loop (`rate`): requests
/// are due at fixed intervals whatever the answers do, and each latency is counted from when
/// its request was due, so a stall shows in the percentiles instead of hiding behind fewer
/// requests (coordinated omission; Gil Tene's correction). `concurrency` then caps the requests
/// in flight: past it, due requests queue and their wait is counted.
public struct RunSettings: Sendable, Equatable {
    public var concurrency: Int = 16
    public var rate: Double? = nil
    public var durationSeconds: Double? = 30
    public var requests: Int? = nil
    public var warmupSeconds: Double = 0
    public var seed: UInt64 = 1
    public var timeoutMs: Int64 = 10_000

    public init() {}

    /// `30s`, `2m`, `500ms`, or plain seconds.
    public static func seconds(parsing text: String) -> Double? {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, factor) in units where t.hasSuffix(suffix) {
            if let n = Double(t.dropLast(suffix.count)), n >= 0 { return n * factor }
            return nil
        }
        return Double(t).flatMap { $0 >= 0 ? $0 : nil }
    }
}
