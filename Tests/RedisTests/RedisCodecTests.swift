import NIOCore
import Testing

@testable import Redis

/// RESP on the wire, without a server.
struct RedisCodecTests {
    @Test func encodesCommandsAsRESP() {
        var buffer = ByteBuffer()
        RESPEncoder.encode([Array("SET".utf8), Array("key".utf8), Array("a longer value".utf8)], into: &buffer)
        #expect(String(buffer: buffer) == "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$14\r\na longer value\r\n")
    }

    @Test func hiredisDecodesPartialInput() throws {
        let reader = HiredisReader()
        let wire = Array("*2\r\n$3\r\nabc\r\n:42\r\n+OK\r\n-ERR bad\r\n$-1\r\n".utf8)
        var replies: [RedisValue] = []
        for byte in wire {
            try [byte].withUnsafeBytes { try reader.feed($0) }
            while let value = try reader.next() { replies.append(value) }
        }
        #expect(
            replies == [
                .array([.bulkString(Array("abc".utf8)), .integer(42)]), .simpleString("OK"), .error("ERR bad"), .null,
            ])
        #expect(throws: RedisClientError.self) {
            try Array("?garbage\r\n".utf8).withUnsafeBytes { try reader.feed($0) }
            _ = try reader.next()
        }
    }

    @Test func parsesRedisURLs() {
        #expect(RedisConfiguration(url: "redis://127.0.0.1:6380") == RedisConfiguration(host: "127.0.0.1", port: 6380))
        #expect(RedisConfiguration(url: "redis://:pw@cache:7000")?.password == "pw")
        #expect(RedisConfiguration(url: "redis://cache")?.port == 6379)
        #expect(RedisConfiguration(url: "http://x") == nil)
    }
}
