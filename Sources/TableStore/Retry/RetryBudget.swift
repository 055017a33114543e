/// The retry token bucket of the AWS SDKs' standard retry mode: a retry spends tokens (more
/// after a timeout or 5xx, whose cause is likelier to be an outage), a success pays one back.
/// When the bucket is empty the proxy stops retrying and passes the error on, so an outage
/// does not multiply the load on the table store.
public struct RetryBudget: Sendable, Equatable {
    public var capacity: Int
    public var retryCost: Int
    public var timeoutRetryCost: Int
    public var successRefund: Int
    public private(set) var tokens: Int

    public init(capacity: Int = 500, retryCost: Int = 5, timeoutRetryCost: Int = 10, successRefund: Int = 1) {
        self.capacity = capacity
        self.retryCost = retryCost
        self.timeoutRetryCost = timeoutRetryCost
        self.successRefund = successRefund
        self.tokens = capacity
    }

    /// Takes the cost of one retry; false (and nothing taken) when the bucket cannot pay.
    public mutating func acquire(afterTimeout: Bool) -> Bool {
        let cost = afterTimeout ? timeoutRetryCost : retryCost
        guard tokens >= cost else { return false }
        tokens -= cost
        return true
    }

    public mutating func recordSuccess() {
        tokens = min(capacity, tokens + successRefund)
    }
}
