import DynamoModel
import Foundation

/// How often each key of a key space is picked. Caches live or die by key popularity, so a load
/// test must say which: uniform (the cache's worst case for a given working set) or Zipf, where
/// rank r is picked with weight 1/(r+1)^s (s near 1 is typical of user-facing reads; larger s is
/// hotter). `hot(n)` confines picks to the first n keys, for hot-key scenarios.
public enum KeyDistribution: Sendable, Equatable, CustomStringConvertible {
    case uniform
    case zipf(Double)
    case hot(Int)

    /// `uniform`, `zipf`, `zipf:1.2`, `hot:10`.
    public init?(parsing text: String) {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        switch parts.first?.lowercased() {
        case "uniform" where parts.count == 1: self = .uniform
        case "zipf":
            guard let s = parts.count == 2 ? Double(parts[1]) : 0.99, s > 0, s.isFinite else { return nil }
            self = .zipf(s)
        case "hot":
            guard parts.count == 2, let n = Int(parts[1]), n > 0 else { return nil }
            self = .hot(n)
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .uniform: "uniform"
        case .zipf(let s): "zipf:\(s)"
        case .hot(let n): "hot:\(n)"
        }
    }
}

/// Picks ranks in `0..<count` under a distribution. Zipf is sampled by binary search in a
/// precomputed cumulative table (exact for any s, O(log n) a pick; n is at most a few hundred
/// thousand keys here).
public struct KeySampler: Sendable {
    public let count: Int
    let distribution: KeyDistribution
    let cumulative: [Double]

    public init(count: Int, distribution: KeyDistribution) {
        precondition(count > 0)
        self.count = count
        self.distribution = distribution
        if case .zipf(let s) = distribution {
            var table = [Double]()
            table.reserveCapacity(count)
            var sum = 0.0
            for r in 0..<count {
                sum += 1 / pow(Double(r + 1), s)
                table.append(sum)
            }
            cumulative = table.map { $0 / sum }
        } else {
            cumulative = []
        }
    }

    public func pick(using random: inout SplitMix64) -> Int {
        switch distribution {
        case .uniform: return Int(random.next() % UInt64(count))
        case .hot(let n): return Int(random.next() % UInt64(min(n, count)))
        case .zipf:
            let u = Double(random.next() >> 11) / Double(1 << 53)
            var low = 0
            var high = cumulative.count - 1
            while low < high {
                let mid = (low + high) / 2
                if cumulative[mid] < u { low = mid + 1 } else { high = mid }
            }
            return low
        }
    }
}
