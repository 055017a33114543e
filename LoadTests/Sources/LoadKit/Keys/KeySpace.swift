/// A named set of key values a scenario draws from, matching what the seed wrote: `user-000042`
/// is `format: "user-%06d"`, and the analytics clock is `start + rank * step`. `count` grows
/// with the seed profile (x10 medium, x100 large) unless `scaled` is false.
public struct KeySpace: Sendable, Equatable, Codable {
    public var format: String
    public var count: Int
    public var start: Int64
    public var step: Int64
    public var scaled: Bool
    /// Overrides the run's distribution for this space (`hot:10` for hot-key scenarios).
    public var distribution: String?

    public init(
        format: String = "%d", count: Int, start: Int64 = 0, step: Int64 = 1, scaled: Bool = true,
        distribution: String? = nil
    ) {
        self.format = format
        self.count = count
        self.start = start
        self.step = step
        self.scaled = scaled
        self.distribution = distribution
    }

    enum CodingKeys: String, CodingKey { case format, count, start, step, scaled, distribution }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        format = try c.decodeIfPresent(String.self, forKey: .format) ?? "%d"
        count = try c.decode(Int.self, forKey: .count)
        start = try c.decodeIfPresent(Int64.self, forKey: .start) ?? 0
        step = try c.decodeIfPresent(Int64.self, forKey: .step) ?? 1
        scaled = try c.decodeIfPresent(Bool.self, forKey: .scaled) ?? true
        distribution = try c.decodeIfPresent(String.self, forKey: .distribution)
    }

    /// The value of rank `rank`: the format's one integer conversion (`%d`, `%06d`) filled with
    /// `start + rank * step` (wrapping, so an absurd step in a file cannot crash the run).
    public func value(rank: Int) -> String {
        KeySpace.render(format, start &+ Int64(rank) &* step)
    }

    /// printf-style `%d` / `%0Nd` only: enough for ids, and no varargs through Foundation.
    static func render(_ format: String, _ n: Int64) -> String {
        guard let percent = format.firstIndex(of: "%") else { return format }
        var i = format.index(after: percent)
        var zeroPad = false
        var width = 0
        if i < format.endIndex, format[i] == "0" {
            zeroPad = true
            i = format.index(after: i)
        }
        while i < format.endIndex, let d = format[i].wholeNumberValue {
            width = width * 10 + d
            i = format.index(after: i)
        }
        guard i < format.endIndex, format[i] == "d" else { return format }
        var digits = String(n.magnitude)
        let sign = n < 0 ? "-" : ""
        if digits.count + sign.count < width {
            let pad = String(repeating: zeroPad ? "0" : " ", count: width - digits.count - sign.count)
            digits = zeroPad ? sign + pad + digits : pad + sign + digits
        } else {
            digits = sign + digits
        }
        return String(format[..<percent]) + digits + String(format[format.index(after: i)...])
    }
}
