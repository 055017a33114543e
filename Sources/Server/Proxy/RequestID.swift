/// Request ids in DynamoDB's style (52 upper-case letters and digits), for answers the proxy
/// writes itself; forwarded answers keep the upstream's id.
enum RequestID {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)

    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        var out: [UInt8] = []
        out.reserveCapacity(52)
        for _ in 0..<52 { out.append(alphabet[Int(generator.next(upperBound: UInt32(alphabet.count)))]) }
        return String(decoding: out, as: UTF8.self)
    }
}
