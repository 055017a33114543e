import DynamoModel
import Testing

@testable import LoadKit

@Suite struct KeyDistributionTests {
    @Test func parsesEveryForm() {
        #expect(KeyDistribution(parsing: "uniform") == .uniform)
        #expect(KeyDistribution(parsing: "zipf") == .zipf(0.99))
        #expect(KeyDistribution(parsing: "zipf:1.2") == .zipf(1.2))
        #expect(KeyDistribution(parsing: "hot:10") == .hot(10))
        for bad in ["", "zipf:-1", "zipf:x", "hot", "hot:0", "normal"] {
            #expect(KeyDistribution(parsing: bad) == nil, "\(bad)")
        }
    }

    func histogram(_ d: KeyDistribution, count: Int, picks: Int) -> [Int] {
        let sampler = KeySampler(count: count, distribution: d)
        var random = SplitMix64(seed: 42)
        var seen = Array(repeating: 0, count: count)
        for _ in 0..<picks { seen[sampler.pick(using: &random)] += 1 }
        return seen
    }

    @Test func zipfRankOneIsAboutTenTimesRankTenAtSOne() {
        let seen = histogram(.zipf(1), count: 100, picks: 200_000)
        let ratio = Double(seen[0]) / Double(seen[9])
        #expect(ratio > 8.5 && ratio < 11.5, "rank 1 / rank 10 = \(ratio)")
        #expect(seen[0] > seen[1] && seen[1] > seen[4])
    }

    @Test func uniformSpreadsEvenlyAndHotStaysInItsKeys() {
        let uniform = histogram(.uniform, count: 10, picks: 100_000)
        #expect(uniform.allSatisfy { $0 > 9_000 && $0 < 11_000 }, "\(uniform)")
        let hot = histogram(.hot(3), count: 100, picks: 10_000)
        #expect(hot[0..<3].allSatisfy { $0 > 0 })
        #expect(hot[3...].allSatisfy { $0 == 0 })
    }

    @Test func keySpacesRenderTheSeedsIds() {
        #expect(KeySpace(format: "user-%06d", count: 100).value(rank: 42) == "user-000042")
        #expect(KeySpace(format: "counter-%d", count: 5).value(rank: 3) == "counter-3")
        #expect(KeySpace(count: 10, start: 1_767_225_600_000, step: 1000).value(rank: 2) == "1767225602000")
        #expect(KeySpace(format: "%4d|", count: 1).value(rank: 7) == "   7|")
        #expect(KeySpace(format: "plain", count: 1).value(rank: 7) == "plain")
    }
}
