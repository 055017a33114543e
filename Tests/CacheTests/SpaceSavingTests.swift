import Testing

@testable import Cache

struct SpaceSavingTests {
    @Test func heavyKeysAreKeptAndCountsBoundTheTruth() {
        // 64 counters (what the proxy uses): any key seen more than total/64 times (here about 67)
        // is guaranteed to be followed; the five hot keys are seen 200 to 1000 times.
        var sketch = SpaceSaving(capacity: 64)
        var truth: [String: Int] = [:]
        // A skewed stream: key k_i appears about 1000 / (i + 1) times, interleaved with noise.
        var stream: [String] = []
        for i in 0..<5 { stream += Array(repeating: "hot\(i)", count: 1000 / (i + 1)) }
        for j in 0..<2000 { stream.append("cold\(j)") }
        var generator = SystemRandomNumberGenerator()
        stream.shuffle(using: &generator)
        for (n, key) in stream.enumerated() {
            sketch.observe(key, hit: n % 2 == 0)
            truth[key, default: 0] += 1
        }
        let top = sketch.top(5)
        #expect(Set(top.map(\.key)) == Set((0..<5).map { "hot\($0)" }))
        for counter in sketch.top(64) {
            let real = truth[counter.key]!
            #expect(counter.count >= real && counter.count - counter.error <= real)  // the sketch's guarantee
            #expect(counter.hits <= counter.requests)
        }
        #expect(top.first?.key == "hot0")
    }
}
