/// The namespace: a short hash of the upstream identity, so two upstreams or two accounts never
/// share entries (FNV-1a, 64 bits, hex).
public enum CacheNamespace {
    public static func make(endpoint: String, region: String, accessKeyID: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "\(endpoint)|\(region)|\(accessKeyID)".utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
