/// Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And
/// Jitter"): the n-th retry waits a uniformly random time in [0, min(cap, base · 2ⁿ)], which
/// spreads retries of many clients apart instead of synchronizing them.
public struct FullJitterBackoff: Sendable {
    public var baseSeconds: Double
    public var capSeconds: Double

    public init(baseSeconds: Double, capSeconds: Double) {
        self.baseSeconds = baseSeconds
        self.capSeconds = capSeconds
    }

    /// The ceiling for retry number `retry` (0 for the first retry).
    public func ceiling(retry: Int) -> Double {
        let exponent = min(retry, 30)
        return min(capSeconds, baseSeconds * Double(1 << exponent))
    }

    /// `random` yields uniform values in [0, 1).
    public func delay(retry: Int, random: Double) -> Double {
        ceiling(retry: retry) * random
    }
}
