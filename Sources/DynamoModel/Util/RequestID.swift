/// Request ids in DynamoDB's style: 52 upper-case letters and digits.
///
/// Drawn 12 characters per 64-bit random number: asking the system generator once per
/// character cost 52 `getrandom` calls, most of an embedded GetItem's time.
public enum RequestID {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)

    public static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        var out: [UInt8] = []
        out.reserveCapacity(52)
        while out.count < 52 {
            var bits = generator.next() as UInt64
            for _ in 0..<12 where out.count < 52 {
                out.append(alphabet[Int(bits % 36)])
                bits /= 36
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
