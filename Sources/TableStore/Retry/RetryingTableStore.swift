import DynamoModel
import NIOConcurrencyHelpers

extension RetryOutcome {
    var isThrottle: Bool {
        if case .throttled = self { return true }
        return false
    }
}

/// Wraps any table store with the retry policy: every caller (reads, writes, the stream
/// consumer) goes through it, so throttling reaches a client only when waiting could not help.
///
/// Throttles are always retried (nothing was applied); 5xx and dropped connections only for
/// idempotent requests; everything inside the deadline and the retry budget, with full-jitter
/// backoff, and with a CUBIC send rate per throttled resource. A TransactWriteItems without a
/// ClientRequestToken gets one, which makes its retries idempotent on DynamoDB's side.
public final class RetryingTableStore: TableStore {
    public let inner: any TableStore
    public let policy: RetryPolicy
    let clock: any RetryClock
    let random: @Sendable () -> Double
    let makeToken: @Sendable () -> String
    let state: NIOLockedValueBox<State>

    struct State {
        var budget: RetryBudget
        var limiters: [String: AdaptiveRateLimiter] = [:]
        var stats = RetryStats()
    }

    public init(
        wrapping inner: any TableStore,
        policy: RetryPolicy = RetryPolicy(),
        clock: any RetryClock = SystemRetryClock(),
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
        makeToken: @escaping @Sendable () -> String = { RequestID.make() }
    ) {
        self.inner = inner
        self.policy = policy
        self.clock = clock
        self.random = random
        self.makeToken = makeToken
        self.state = NIOLockedValueBox(State(budget: policy.budget))
    }

    public func send(_ original: TableStoreRequest) async throws -> TableStoreResponse {
        let body = try? JSONParser.parse(original.body)
        let request = withClientRequestToken(original, body: body)
        let idempotent = Idempotency.isIdempotent(
            request.operation, body: request === original ? body : (try? JSONParser.parse(request.body)))
        let resource = Self.resource(request.operation, body: body)
        let start = clock.now()
        var retry = 0
        var unknownBefore = false
        while true {
            if policy.adaptive {
                let now = clock.now()
                let wait = state.withLockedValue {
                    $0.limiters[resource, default: AdaptiveRateLimiter()].delayBeforeSending(now: now)
                }
                // A slowed resource never holds a request past the deadline.
                let allowed = min(wait, max(0, policy.deadlineSeconds - (now - start)))
                if allowed > 0 { try await clock.sleep(seconds: allowed) }
            }
            state.withLockedValue { $0.stats.attempts += 1 }
            let outcome: RetryOutcome
            var answer: Result<TableStoreResponse, any Error>
            do {
                let response = try await inner.send(request)
                answer = .success(response)
                outcome = RetryClassification.classify(response)
            } catch {
                answer = .failure(error)
                outcome = RetryClassification.classify(error)
            }
            let decision = decide(outcome, idempotent: idempotent, resource: resource, retry: retry, start: start)
            guard let delay = decision else {
                var response = try answer.get()
                response.outcomeUnknown = response.outcomeUnknown || unknownBefore
                return response
            }
            if case .transient(_, .unknown) = outcome { unknownBefore = true }
            try await clock.sleep(seconds: delay)
            retry += 1
        }
    }

    /// Updates the budget, limiter and stats for one answer; the delay before the next attempt,
    /// or nil to give this answer to the caller.
    func decide(_ outcome: RetryOutcome, idempotent: Bool, resource: String, retry: Int, start: Double) -> Double? {
        let now = clock.now()
        return state.withLockedValue { state -> Double? in
            let reason: String
            let afterTimeout: Bool
            switch outcome {
            case .success:
                state.budget.recordSuccess()
                if policy.adaptive, state.limiters[resource] != nil {
                    state.limiters[resource]!.record(throttled: false, now: now)
                }
                return nil
            case .final:
                return nil
            case .throttled(let code, let named):
                let key = named ?? resource
                state.stats.throttlesByResource[key, default: 0] += 1
                if policy.adaptive {
                    state.limiters[resource, default: AdaptiveRateLimiter()].record(throttled: true, now: now)
                }
                reason = code
                afterTimeout = false
            case .transient(let code, let applied):
                if applied == .unknown && !idempotent {
                    state.stats.notRetriedUnsafe += 1
                    return nil
                }
                reason = code
                afterTimeout = true
            }
            guard retry + 1 < policy.maxAttempts else { return nil }
            let delay = policy.backoff.delay(retry: retry, random: random())
            guard now + delay - start <= policy.deadlineSeconds else {
                state.stats.deadlineExceeded += 1
                return nil
            }
            // With the adaptive limiter on, a throttle retry waits for the limiter, which already
            // bounds what the proxy sends to that resource: it costs no budget. The budget guards
            // against outages (5xx, timeouts) and, without the limiter, against throttle storms.
            let charged = !(outcome.isThrottle && policy.adaptive)
            guard !charged || state.budget.acquire(afterTimeout: afterTimeout) else {
                state.stats.budgetExhausted += 1
                return nil
            }
            state.stats.retriesByReason[reason, default: 0] += 1
            return delay
        }
    }

    /// Adds a ClientRequestToken to a TransactWriteItems that has none, so DynamoDB treats a
    /// retry of it as the same transaction.
    func withClientRequestToken(_ request: TableStoreRequest, body: JSONValue?) -> TableStoreRequest {
        guard request.operation.name == "TransactWriteItems", case .object(var members)? = body,
            members["ClientRequestToken"] == nil || members["ClientRequestToken"] == .null
        else { return request }
        members["ClientRequestToken"] = .string(makeToken())
        return TableStoreRequest(operation: request.operation, body: JSONWriter.bytes(.object(members)))
    }

    /// The adaptive limiter's key: table and whether the call reads or writes. A batch naming one
    /// table (what the write pipeline sends) is that table's; a batch across tables is `-`.
    static func resource(_ operation: Operation, body: JSONValue?) -> String {
        let batchTables = body?["RequestItems"]?.objectValue?.keys
        let onlyTable = batchTables?.count == 1 ? batchTables?.first : nil
        let table = body?["TableName"]?.stringValue ?? body?["StreamArn"]?.stringValue ?? onlyTable ?? "-"
        let index = body?["IndexName"]?.stringValue.map { "/\($0)" } ?? ""
        let kind = Idempotency.readOperations.contains(operation.name) ? "read" : "write"
        return "\(table)\(index):\(kind)"
    }

    /// `retries` for `/stats`.
    public func statsJSON() -> JSONValue {
        state.withLockedValue { state in
            state.stats.json(
                budgetTokens: state.budget.tokens,
                adaptiveRates: state.limiters.compactMapValues { $0.fillRate }
            )
        }
    }

    public var stats: RetryStats { state.withLockedValue { $0.stats } }

    public func shutdown() async throws {
        try await inner.shutdown()
    }
}

extension TableStoreRequest {
    /// Whether two requests are the same value (used to skip re-parsing an unchanged body).
    static func === (lhs: TableStoreRequest, rhs: TableStoreRequest) -> Bool {
        lhs.operation == rhs.operation && lhs.body == rhs.body
    }
}
