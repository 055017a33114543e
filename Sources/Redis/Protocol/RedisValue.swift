/// A RESP2 reply, as hiredis's reader decodes it.
public enum RedisValue: Sendable, Equatable {
    case simpleString(String)
    case error(String)
    case integer(Int64)
    case bulkString([UInt8])
    case null
    case array([RedisValue])
}

extension RedisValue {
    /// The bytes of a bulk or simple string.
    public var bytes: [UInt8]? {
        switch self {
        case .bulkString(let b): b
        case .simpleString(let s): Array(s.utf8)
        default: nil
        }
    }

    public var string: String? { bytes.map { String(decoding: $0, as: UTF8.self) } }

    public var integer: Int64? {
        if case .integer(let i) = self { return i }
        return nil
    }

    public var array: [RedisValue]? {
        if case .array(let a) = self { return a }
        return nil
    }
}

/// Why a command did not get an answer from Redis (a Redis error reply is a `RedisValue.error`).
public enum RedisClientError: Error, Sendable, Equatable, CustomStringConvertible {
    case notConnected
    case connectionClosed
    case timeout
    case protocolError(String)
    /// The server answered with an error reply where a value was required.
    case server(String)

    public var description: String {
        switch self {
        case .notConnected: "Redis is not connected"
        case .connectionClosed: "the Redis connection closed"
        case .timeout: "Redis did not answer in time"
        case .protocolError(let m): "Redis protocol error: \(m)"
        case .server(let m): "Redis error: \(m)"
        }
    }
}
