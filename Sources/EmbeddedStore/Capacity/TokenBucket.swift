/// One provisioned-capacity budget (a table's or a GSI's reads or writes) as a plain value:
/// refilled at the provisioned rate, holding at most `burstSeconds` of unused capacity (DynamoDB
/// keeps up to five minutes), spent after each call. A call is admitted while the bucket holds
/// at least half a unit (the smallest charge) and may take it below zero, as DynamoDB charges
/// what a call consumed once it is done.
struct TokenBucket: Equatable {
    private(set) var tokens: Double
    private(set) var updatedMilliseconds: Int64

    /// A new bucket starts full.
    init(rate: Double, burstSeconds: Double, now: Int64) {
        tokens = Self.capacity(rate: rate, burstSeconds: burstSeconds)
        updatedMilliseconds = now
    }

    static func capacity(rate: Double, burstSeconds: Double) -> Double { rate * max(burstSeconds, 1) }

    /// Brings the bucket up to `now` at `rate` (which UpdateTable may have changed).
    mutating func refill(rate: Double, burstSeconds: Double, now: Int64) {
        let elapsed = Double(max(0, now - updatedMilliseconds)) / 1000
        tokens = min(Self.capacity(rate: rate, burstSeconds: burstSeconds), tokens + rate * elapsed)
        updatedMilliseconds = now
    }

    var admits: Bool { tokens >= 0.5 }

    mutating func spend(_ units: Double) { tokens -= units }
}
