/// A Lua script run with EVALSHA. Its SHA1 comes from Redis (`SCRIPT LOAD`) the first time,
/// and again after Redis answers NOSCRIPT (a restart empties the script cache).
public struct RedisScript: Sendable, Hashable {
    public let source: String

    public init(_ source: String) { self.source = source }
}
