import DynamoModel
import Testing

@testable import TableStore

struct BackoffAndBudgetTests {
    @Test func fullJitterStaysWithinTheExponentialCeiling() {
        let backoff = FullJitterBackoff(baseSeconds: 0.025, capSeconds: 1)
        #expect(backoff.ceiling(retry: 0) == 0.025)
        #expect(backoff.ceiling(retry: 3) == 0.2)
        #expect(backoff.ceiling(retry: 10) == 1)
        #expect(backoff.ceiling(retry: 500) == 1)
        for retry in 0..<12 {
            for r in [0.0, 0.3, 0.999] {
                let d = backoff.delay(retry: retry, random: r)
                #expect(d >= 0 && d <= backoff.ceiling(retry: retry))
            }
        }
        #expect(backoff.delay(retry: 2, random: 0.5) == 0.05)
    }

    @Test func budgetEmptiesAndRefills() {
        var budget = RetryBudget(capacity: 20, retryCost: 5, timeoutRetryCost: 10, successRefund: 1)
        var granted: [Bool] = []
        granted.append(budget.acquire(afterTimeout: true))
        granted.append(budget.acquire(afterTimeout: false))
        granted.append(budget.acquire(afterTimeout: false))
        #expect(granted == [true, true, true])
        #expect(budget.tokens == 0)
        granted = [budget.acquire(afterTimeout: false)]
        for _ in 0..<4 { budget.recordSuccess() }
        granted.append(budget.acquire(afterTimeout: false))
        budget.recordSuccess()
        granted.append(budget.acquire(afterTimeout: false))
        #expect(granted == [false, false, true])
        for _ in 0..<100 { budget.recordSuccess() }
        #expect(budget.tokens == 20)
    }
}

struct AdaptiveRateTests {
    @Test func passesEverythingUntilTheFirstThrottle() {
        var limiter = AdaptiveRateLimiter()
        for i in 0..<100 { #expect(limiter.delayBeforeSending(now: Double(i) * 0.001) == 0) }
        #expect(limiter.fillRate == nil)
    }

    @Test func fallsOnThrottlesAndRecovers() {
        var limiter = AdaptiveRateLimiter()
        var now = 0.0
        // 100 requests/s for two seconds, then a throttle.
        for _ in 0..<200 {
            _ = limiter.delayBeforeSending(now: now)
            limiter.record(throttled: false, now: now)
            now += 0.01
        }
        limiter.record(throttled: true, now: now)
        let afterFirst = limiter.fillRate!
        #expect(afterFirst < 100 && afterFirst > 40)
        // Throttles of the same congestion event (requests already in flight) lower it once.
        limiter.record(throttled: true, now: now + 0.01)
        #expect(limiter.fillRate == afterFirst)
        limiter.record(throttled: true, now: now + 0.3)
        let afterSecond = limiter.fillRate!
        #expect(afterSecond < afterFirst)
        // Sending faster than the fill rate now waits.
        var waited = 0.0
        for _ in 0..<50 { waited = max(waited, limiter.delayBeforeSending(now: now + 0.31)) }
        #expect(waited > 0)
        // Successes over the following seconds bring the rate back up.
        var t = now + 0.31
        for _ in 0..<600 {
            t += max(0.01, limiter.delayBeforeSending(now: t))
            limiter.record(throttled: false, now: t)
        }
        #expect(limiter.fillRate! > afterSecond)
    }
}

struct ClassificationTests {
    @Test func classifiesDynamoDBAnswers() {
        func outcome(_ status: Int, _ type: String) -> RetryOutcome {
            RetryClassification.classify(ScriptedStore.response(status, body: #"{"__type":"x#\#(type)"}"#))
        }
        #expect(
            outcome(400, "ProvisionedThroughputExceededException")
                == .throttled(code: "ProvisionedThroughputExceededException", resource: nil))
        #expect(outcome(400, "ThrottlingException") == .throttled(code: "ThrottlingException", resource: nil))
        #expect(outcome(400, "RequestLimitExceeded") == .throttled(code: "RequestLimitExceeded", resource: nil))
        #expect(outcome(500, "InternalServerError") == .transient(code: "InternalServerError", applied: .unknown))
        #expect(outcome(503, "ServiceUnavailable") == .transient(code: "ServiceUnavailable", applied: .unknown))
        for final in [
            "ValidationException", "ConditionalCheckFailedException", "ResourceNotFoundException",
            "TransactionCanceledException", "AccessDeniedException",
        ] {
            #expect(outcome(400, final) == .final)
        }
        #expect(RetryClassification.classify(ScriptedStore.response(200, body: "{}")) == .success)
        let named = RetryClassification.classify(
            ScriptedStore.response(
                400,
                body:
                    #"{"__type":"x#ProvisionedThroughputExceededException","ThrottlingReasons":[{"reason":"IndexWriteProvisionedThroughputExceeded","resource":"arn:aws:dynamodb:us-east-1:1:table/Orders/index/ByDay"}]}"#
            )
        )
        #expect(named == .throttled(code: "ProvisionedThroughputExceededException", resource: "Orders/ByDay"))
        #expect(
            RetryClassification.classify(TableStoreTransportError(message: "", requestSent: false))
                == .transient(code: "TransportError", applied: .no))
        #expect(
            RetryClassification.classify(TableStoreTransportError(message: "", requestSent: true))
                == .transient(code: "TransportError", applied: .unknown))
    }

    @Test func knowsWhatIsIdempotent() throws {
        func idempotent(_ op: String, _ body: String) throws -> Bool {
            Idempotency.isIdempotent(Operation(family: .dynamoDB, name: op), body: try JSONParser.parse(body))
        }
        #expect(try idempotent("GetItem", "{}"))
        #expect(try idempotent("Query", "{}"))
        #expect(try idempotent("PutItem", #"{"Item":{}}"#))
        #expect(try !idempotent("PutItem", #"{"Item":{},"ConditionExpression":"attribute_not_exists(a)"}"#))
        #expect(try idempotent("DeleteItem", #"{"Key":{}}"#))
        #expect(try !idempotent("DeleteItem", #"{"Key":{},"Expected":{}}"#))
        #expect(try idempotent("UpdateItem", #"{"UpdateExpression":"SET a = :v, address = :w REMOVE b"}"#))
        #expect(try !idempotent("UpdateItem", #"{"UpdateExpression":"SET a = a + :one"}"#))
        #expect(try !idempotent("UpdateItem", #"{"UpdateExpression":"SET a = a - :one"}"#))
        #expect(try !idempotent("UpdateItem", #"{"UpdateExpression":"add counter :one"}"#))
        #expect(try !idempotent("UpdateItem", #"{"UpdateExpression":"SET l = LIST_APPEND(l, :x)"}"#))
        #expect(try !idempotent("UpdateItem", #"{"UpdateExpression":"SET a = :v","ConditionExpression":"a = :w"}"#))
        #expect(try !idempotent("TransactWriteItems", #"{"TransactItems":[]}"#))
        #expect(try idempotent("TransactWriteItems", #"{"TransactItems":[],"ClientRequestToken":"t"}"#))
        #expect(try !idempotent("CreateTable", "{}"))
    }
}

struct RetryingTableStoreTests {
    let throttle = ScriptedStore.Step.answer(status: 400, type: "ProvisionedThroughputExceededException")

    func store(_ inner: ScriptedStore, _ clock: FakeClock, policy: RetryPolicy = RetryPolicy(), random: Double = 0.5)
        -> RetryingTableStore
    {
        RetryingTableStore(wrapping: inner, policy: policy, clock: clock, random: { random }, makeToken: { "TOKEN" })
    }

    @Test func throttlesAreRetriedWithFullJitterUntilSuccess() async throws {
        let inner = ScriptedStore([throttle, throttle, throttle])
        let clock = FakeClock()
        var policy = RetryPolicy()
        policy.adaptive = false
        let retrying = store(inner, clock, policy: policy)
        let response = try await retrying.send(request("PutItem", #"{"TableName":"T","Item":{}}"#))
        #expect(response.status == 200)
        #expect(inner.calls == 4)
        #expect(clock.sleeps == [0.0125, 0.025, 0.05])  // half of 25 ms · 2ⁿ
        #expect(retrying.stats.retriesByReason == ["ProvisionedThroughputExceededException": 3])
        #expect(retrying.stats.throttlesByResource == ["T:write": 3])
    }

    /// An attempt that may have been applied (a 5xx) followed by a final error: the answer says
    /// the outcome is unknown, so the proxy invalidates as for a write that succeeded.
    @Test func anUnknownAttemptMarksTheFinalAnswer() async throws {
        let inner = ScriptedStore([
            .applyThenFail(status: 500), .answer(status: 400, type: "ValidationException"),
        ])
        var policy = RetryPolicy()
        policy.adaptive = false
        let retrying = store(inner, FakeClock(), policy: policy)
        let response = try await retrying.send(request("PutItem", #"{"TableName":"T","Item":{}}"#))
        #expect(response.status == 400)
        #expect(response.outcomeUnknown)
        let plain = try await store(ScriptedStore([.answer(status: 400, type: "ValidationException")]), FakeClock())
            .send(request("PutItem", #"{"TableName":"T","Item":{}}"#))
        #expect(!plain.outcomeUnknown)
    }

    @Test func givesUpAtMaxAttemptsWithTheStoresOwnAnswer() async throws {
        let inner = ScriptedStore(Array(repeating: throttle, count: 20))
        let clock = FakeClock()
        let retrying = store(inner, clock, policy: RetryPolicy(maxAttempts: 3, adaptive: false))
        let response = try await retrying.send(request("GetItem", #"{"TableName":"T"}"#))
        #expect(response.status == 400)
        #expect(inner.calls == 3)
    }

    @Test func respectsTheDeadline() async throws {
        let inner = ScriptedStore(Array(repeating: throttle, count: 50))
        let clock = FakeClock()
        let retrying = store(
            inner,
            clock,
            policy: RetryPolicy(
                maxAttempts: 50, baseDelaySeconds: 0.1, maxDelaySeconds: 10, deadlineSeconds: 1, adaptive: false),
            random: 0.99
        )
        _ = try await retrying.send(request("GetItem", #"{"TableName":"T"}"#))
        #expect(clock.sleeps.reduce(0, +) <= 1)
        #expect(retrying.stats.deadlineExceeded == 1)
    }

    @Test func theBudgetStopsRetryStorms() async throws {
        let inner = ScriptedStore(Array(repeating: .answer(status: 500, type: "InternalServerError"), count: 100))
        let clock = FakeClock()
        let retrying = store(
            inner,
            clock,
            policy: RetryPolicy(
                maxAttempts: 100, deadlineSeconds: 1000, budget: RetryBudget(capacity: 30), adaptive: false)
        )
        for _ in 0..<5 { _ = try await retrying.send(request("GetItem", #"{"TableName":"T"}"#)) }
        // 30 tokens pay for three 10-token retries; then every call fails at once.
        #expect(inner.calls == 5 + 3)
        #expect(retrying.stats.budgetExhausted == 5)
    }

    @Test func unknownOutcomesOfNonIdempotentWritesAreNotRetried() async throws {
        let inner = ScriptedStore([.applyThenFail(status: 500)])
        let retrying = store(inner, FakeClock())
        let response = try await retrying.send(
            request("UpdateItem", #"{"TableName":"T","Key":{},"UpdateExpression":"ADD n :one"}"#)
        )
        #expect(response.status == 500)
        #expect(inner.calls == 1)
        #expect(inner.applied == 1)
        #expect(retrying.stats.notRetriedUnsafe == 1)
    }

    @Test func unknownOutcomesOfIdempotentRequestsAreRetried() async throws {
        let inner = ScriptedStore([.applyThenFail(status: 500), .dropConnection(sent: true)])
        let retrying = store(inner, FakeClock())
        let response = try await retrying.send(request("PutItem", #"{"TableName":"T","Item":{}}"#))
        #expect(response.status == 200)
        #expect(inner.calls == 3)
    }

    @Test func requestsThatNeverLeftAreRetriedEvenWhenNotIdempotent() async throws {
        let inner = ScriptedStore([.dropConnection(sent: false)])
        let retrying = store(inner, FakeClock())
        let response = try await retrying.send(
            request("UpdateItem", #"{"TableName":"T","Key":{},"UpdateExpression":"ADD n :one"}"#)
        )
        #expect(response.status == 200)
        #expect(inner.applied == 1)
    }

    @Test func finalErrorsAreNotRetried() async throws {
        let inner = ScriptedStore([.answer(status: 400, type: "ConditionalCheckFailedException")])
        let retrying = store(inner, FakeClock())
        let response = try await retrying.send(request("PutItem", #"{"TableName":"T","Item":{}}"#))
        #expect(response.status == 400)
        #expect(inner.calls == 1)
    }

    @Test func transactionsGetAClientRequestTokenAndAreThenRetried() async throws {
        let inner = ScriptedStore([.applyThenFail(status: 500)])
        let retrying = store(inner, FakeClock())
        let response = try await retrying.send(request("TransactWriteItems", #"{"TransactItems":[]}"#))
        #expect(response.status == 200)
        #expect(inner.calls == 2)
        for body in inner.bodies {
            #expect(try JSONParser.parse(body)["ClientRequestToken"] == .string("TOKEN"))
        }
    }

    @Test func throttledResourcesAreSlowedDown() async throws {
        let inner = ScriptedStore(Array(repeating: throttle, count: 30))
        let clock = FakeClock()
        let retrying = store(
            inner,
            clock,
            policy: RetryPolicy(maxAttempts: 40, deadlineSeconds: 100, budget: RetryBudget(capacity: 1000)),
            random: 0
        )
        _ = try await retrying.send(request("PutItem", #"{"TableName":"Hot","Item":{}}"#))
        // With zero jitter, every wait came from the adaptive limiter.
        #expect(clock.sleeps.contains { $0 > 0 })
        let json = retrying.statsJSON()
        #expect(json["adaptiveRates"]?["Hot:write"] != nil)
        #expect(json["attempts"] == .number("31"))
    }
}

struct AdaptiveResourceTests {
    @Test func batchesOfOneTableAreThrottledAsThatTable() throws {
        let write = Operation(family: .dynamoDB, name: "BatchWriteItem")
        let read = Operation(family: .dynamoDB, name: "BatchGetItem")
        let one = try JSONParser.parse(#"{"RequestItems":{"Hot":[]}}"#)
        let two = try JSONParser.parse(#"{"RequestItems":{"Hot":[],"Cold":[]}}"#)
        #expect(RetryingTableStore.resource(write, body: one) == "Hot:write")
        #expect(RetryingTableStore.resource(read, body: one) == "Hot:read")
        #expect(RetryingTableStore.resource(write, body: two) == "-:write")
        let query = try JSONParser.parse(#"{"TableName":"T","IndexName":"g"}"#)
        #expect(RetryingTableStore.resource(Operation(family: .dynamoDB, name: "Query"), body: query) == "T/g:read")
    }
}
