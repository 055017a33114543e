import Testing

@testable import EmbeddedStore

struct TokenBucketTests {
    @Test func startsFullRefillsAtTheRateAndKeepsAtMostTheBurst() {
        var bucket = TokenBucket(rate: 5, burstSeconds: 2, now: 0)
        #expect(bucket.tokens == 10 && bucket.admits)
        bucket.spend(10)
        #expect(!bucket.admits)
        bucket.refill(rate: 5, burstSeconds: 2, now: 100)  // 0.1 s: half a unit
        #expect(bucket.tokens == 0.5 && bucket.admits)
        bucket.spend(3)  // a call may take it below zero
        #expect(bucket.tokens == -2.5 && !bucket.admits)
        bucket.refill(rate: 5, burstSeconds: 2, now: 10_100)  // long idle: capped at the burst
        #expect(bucket.tokens == 10)
        bucket.refill(rate: 1, burstSeconds: 2, now: 10_200)  // capacity lowered: clamped
        #expect(bucket.tokens == 2)
        bucket.refill(rate: 1, burstSeconds: 2, now: 10_100)  // a clock going back adds nothing
        #expect(bucket.tokens == 2)
    }
}
