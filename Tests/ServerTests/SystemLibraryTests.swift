import CHiredis
import CSQLite
import Testing

/// The module maps for the system libraries resolve and link: later targets (the Redis client,
/// the embedded store) build on them.
struct SystemLibraryTests {
    @Test func sqliteOpensAnInMemoryDatabase() {
        var db: OpaquePointer?
        #expect(sqlite3_open(":memory:", &db) == SQLITE_OK)
        #expect(
            sqlite3_exec(db, "CREATE TABLE t (k BLOB PRIMARY KEY); INSERT INTO t VALUES (x'01');", nil, nil, nil)
                == SQLITE_OK)
        sqlite3_close(db)
    }

    @Test func hiredisParsesAReply() {
        let reader = redisReaderCreate()!
        defer { redisReaderFree(reader) }
        let wire = Array("$5\r\nhello\r\n".utf8)
        wire.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { _ = redisReaderFeed(reader, $0.baseAddress, buffer.count) }
        }
        var reply: UnsafeMutableRawPointer?
        #expect(redisReaderGetReply(reader, &reply) == REDIS_OK)
        let r = reply!.assumingMemoryBound(to: redisReply.self)
        #expect(r.pointee.type == REDIS_REPLY_STRING)
        #expect(String(cString: r.pointee.str) == "hello")
        freeReplyObject(reply)
    }
}
