import Foundation

/// A CUBIC send-rate limiter per resource, as the AWS SDKs' adaptive retry mode: after a
/// throttle the allowed rate drops to β · (the rate that was throttled), then grows back along
/// a cubic curve toward, and past, the old maximum. Until the first throttle it lets everything
/// through. A pure value: time comes in as an argument, so tests drive it directly.
public struct AdaptiveRateLimiter: Sendable, Equatable {
    static let beta = 0.7
    static let scaleConstant = 0.4
    static let smoothing = 0.8
    static let minimumFillRate = 0.5
    static let measurementBucket = 0.5
    /// Throttles this close to the last one belong to the same congestion event and lower the
    /// rate once: a proxy sends many requests at a time, and all of them in flight at the
    /// moment capacity ran out come back throttled together (TCP reduces once per round trip
    /// for the same reason).
    static let congestionWindow = 0.25
    /// The bucket holds this many seconds of sending: small, so a limited resource receives a
    /// smooth stream instead of a second's worth of requests at once.
    static let burstSeconds = 0.05

    /// Requests per second allowed now; nil while no throttle has been seen.
    public private(set) var fillRate: Double?
    var tokens = 0.0
    var lastRefill: Double?
    var lastMaxRate = 0.0
    var lastThrottle = 0.0
    var timeWindow = 0.0
    /// Smoothed measured send rate.
    public private(set) var measuredRate = 0.0
    var bucketStart: Double?
    var requestsInBucket = 0

    public init() {}

    /// Seconds to wait before sending one request at `now`, and takes its token. Every send
    /// is counted, so the rate a throttle reduces is the rate actually sent.
    public mutating func delayBeforeSending(now: Double) -> Double {
        measure(now: now)
        guard let rate = fillRate else { return 0 }
        refill(now: now, rate: rate)
        tokens -= 1
        if tokens >= 0 { return 0 }
        return -tokens / rate
    }

    /// Updates the rate from one answer.
    public mutating func record(throttled: Bool, now: Double) {
        var newRate: Double
        if throttled {
            if fillRate != nil && now - lastThrottle < Self.congestionWindow { return }
            // Before the first half-second bucket closes there is no measurement yet: estimate
            // from the open bucket rather than collapse to the minimum rate.
            let measured = measuredRate > 0 ? measuredRate : openBucketRate(now: now)
            let rateToUse = fillRate.map { min(measured, $0) } ?? measured
            lastMaxRate = max(rateToUse, Self.minimumFillRate)
            computeTimeWindow()
            lastThrottle = now
            newRate = lastMaxRate * Self.beta
        } else {
            guard fillRate != nil else { return }
            computeTimeWindow()
            let t = now - lastThrottle - timeWindow
            newRate = Self.scaleConstant * t * t * t + lastMaxRate
        }
        if measuredRate > 0 { newRate = min(newRate, 2 * measuredRate) }
        let rate = max(newRate, Self.minimumFillRate)
        if let lastRefill, let current = fillRate {
            refill(now: max(now, lastRefill), rate: current)
        }
        fillRate = rate
    }

    mutating func computeTimeWindow() {
        timeWindow = cbrt(lastMaxRate * (1 - Self.beta) / Self.scaleConstant)
    }

    mutating func refill(now: Double, rate: Double) {
        let capacity = max(rate * Self.burstSeconds, 1)
        if let lastRefill {
            tokens = min(capacity, tokens + (now - lastRefill) * rate)
        } else {
            tokens = capacity
        }
        lastRefill = now
    }

    func openBucketRate(now: Double) -> Double {
        guard let start = bucketStart else { return Self.minimumFillRate }
        return Double(max(requestsInBucket, 1)) / max(now - start, 0.05)
    }

    /// The send rate over half-second buckets, smoothed.
    mutating func measure(now: Double) {
        guard let start = bucketStart else {
            bucketStart = now
            requestsInBucket = 1
            return
        }
        requestsInBucket += 1
        if now - start >= Self.measurementBucket {
            let current = Double(requestsInBucket) / (now - start)
            measuredRate = measuredRate == 0 ? current : current * Self.smoothing + measuredRate * (1 - Self.smoothing)
            bucketStart = now
            requestsInBucket = 0
        }
    }
}
