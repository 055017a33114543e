/// How the proxy retries calls to the table store. Defaults follow the AWS SDKs for DynamoDB
/// (25 ms base, as the Java and Python SDKs use for DynamoDB; the standard mode's token bucket),
/// with a cap and deadline well inside clients' own timeouts, since their SDKs retry too.
public struct RetryPolicy: Sendable, Equatable {
    public var maxAttempts: Int
    public var baseDelaySeconds: Double
    public var maxDelaySeconds: Double
    /// No retry starts later than this after the first attempt began.
    public var deadlineSeconds: Double
    public var budget: RetryBudget
    /// CUBIC per-resource rate limiting after throttles.
    public var adaptive: Bool

    public init(
        maxAttempts: Int = 8,
        baseDelaySeconds: Double = 0.025,
        maxDelaySeconds: Double = 1.0,
        deadlineSeconds: Double = 3.0,
        budget: RetryBudget = RetryBudget(),
        adaptive: Bool = true
    ) {
        self.maxAttempts = maxAttempts
        self.baseDelaySeconds = baseDelaySeconds
        self.maxDelaySeconds = maxDelaySeconds
        self.deadlineSeconds = deadlineSeconds
        self.budget = budget
        self.adaptive = adaptive
    }

    public var backoff: FullJitterBackoff {
        FullJitterBackoff(baseSeconds: baseDelaySeconds, capSeconds: maxDelaySeconds)
    }

    /// No retries at all (for comparison in benchmarks, and for callers that must not wait).
    public static let none = RetryPolicy(maxAttempts: 1, adaptive: false)
}

/// Time for the retry loop: a monotonic clock and a sleep, injected so tests need not wait.
public protocol RetryClock: Sendable {
    /// Seconds on a monotonic clock.
    func now() -> Double
    func sleep(seconds: Double) async throws
}

/// The process's monotonic clock.
public struct SystemRetryClock: RetryClock {
    public init() {}

    public func now() -> Double {
        let elapsed = Self.origin.duration(to: ContinuousClock.now)
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    public func sleep(seconds: Double) async throws {
        guard seconds > 0 else { return }
        try await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
    }

    static let origin = ContinuousClock.now
}
