import DynamoModel

/// A shard iterator's contents: which shard, the last sequence number already read (records
/// after it come next), and when it was issued (iterators expire). Written as DynamoDB writes
/// them, the stream ARN first, then an opaque part.
struct ShardIterator: Sendable, Equatable {
    var streamArn: String
    var shardId: String
    var after: Int64
    var issuedAtMilliseconds: Int64

    var text: String {
        "\(streamArn)|1|" + Base64.encode(Array("\(shardId)|\(after)|\(issuedAtMilliseconds)".utf8))
    }

    init(streamArn: String, shardId: String, after: Int64, issuedAtMilliseconds: Int64) {
        self.streamArn = streamArn
        self.shardId = shardId
        self.after = after
        self.issuedAtMilliseconds = issuedAtMilliseconds
    }

    init(text: String) throws(DynamoError) {
        let parts = text.split(separator: "|", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[1] == "1", let opaque = Base64.decode(String(parts[2])),
            case let fields = String(decoding: opaque, as: UTF8.self).split(separator: "|"), fields.count == 3,
            let after = Int64(fields[1]), let issued = Int64(fields[2])
        else {
            throw DynamoError.validation("Invalid ShardIterator")
        }
        self.init(streamArn: String(parts[0]), shardId: String(fields[0]), after: after, issuedAtMilliseconds: issued)
    }
}

/// Sequence numbers on the wire: 21 digits, so they compare as strings and as numbers alike.
enum SequenceNumber {
    static func text(_ n: Int64) -> String {
        let digits = String(n)
        return "1" + String(repeating: "0", count: max(0, 20 - digits.count)) + digits
    }

    static func parse(_ text: String) -> Int64? {
        guard text.count == 21, text.first == "1" else { return nil }
        return Int64(text.dropFirst())
    }
}
