import DynamoModel

/// The DynamoDB Streams API (`DynamoDBStreams_20120810.*`) over the records the write path keeps.
extension EmbeddedEngine {
    func dispatchStreams(_ operation: String, _ request: JSONValue) throws -> JSONValue {
        try trimStreamsIfDue()
        switch operation {
        case "ListStreams": return try listStreams(request)
        case "DescribeStream": return try describeStream(request)
        case "GetShardIterator": return try getShardIterator(request)
        case "GetRecords": return try getRecords(request)
        default:
            throw DynamoError.unknownOperation(operation)
        }
    }

    /// Trimming costs a few statements: at most once a second.
    func trimStreamsIfDue() throws {
        let now = nowMilliseconds
        guard now - lastStreamTrimMilliseconds >= 1_000 else { return }
        lastStreamTrimMilliseconds = now
        try trimStreams()
    }

    static func limit(_ request: JSONValue, max: Int, default value: Int, path: String) throws(DynamoError) -> Int {
        guard let l = request["Limit"], l != .null else { return value }
        guard let n = l.intValue, (1...max).contains(n) else {
            throw DynamoError.validation(
                "1 validation error detected: Value '\(l.intValue.map(String.init) ?? "?")' at '\(path)' failed to satisfy constraint: Member must have value between 1 and \(max)"
            )
        }
        return n
    }

    static func streamNotFound(_ what: String) -> DynamoError {
        DynamoError.resourceNotFound("Requested resource not found: \(what) does not exist")
    }

    func listStreams(_ request: JSONValue) throws -> JSONValue {
        let limit = try Self.limit(request, max: 100, default: 100, path: "limit")
        let table = try Self.string(request, "TableName")
        let start = try Self.string(request, "ExclusiveStartStreamArn")
        let select = try db.statement(
            "SELECT arn, tbl, label FROM dc_streams WHERE (?1 IS NULL OR tbl = ?1) AND (?2 IS NULL OR arn > ?2) ORDER BY arn LIMIT ?3"
        )
        if let table { select.bind(1, table) } else { select.bindNull(1) }
        if let start { select.bind(2, start) } else { select.bindNull(2) }
        select.bind(3, Int64(limit + 1))
        var streams: [JSONValue] = []
        while try select.step() {
            streams.append(
                .object([
                    "StreamArn": .string(select.text(0)), "TableName": .string(select.text(1)),
                    "StreamLabel": .string(select.text(2)),
                ]))
        }
        var response: [String: JSONValue] = ["Streams": .array(Array(streams.prefix(limit)))]
        if streams.count > limit, let last = streams[limit - 1]["StreamArn"] {
            response["LastEvaluatedStreamArn"] = last
        }
        return .object(response)
    }

    struct StreamRow {
        var arn: String
        var table: String
        var label: String
        var view: String
        var enabled: Bool
        var createdMilliseconds: Int64
        var keySchema: JSONValue
    }

    func streamRow(_ arn: String) throws -> StreamRow {
        let select = try db.statement(
            "SELECT tbl, label, view, enabled, created_ms, key_schema FROM dc_streams WHERE arn = ?")
        select.bind(1, arn)
        guard try select.step() else { throw Self.streamNotFound("Stream: \(arn)") }
        return StreamRow(
            arn: arn, table: select.text(0), label: select.text(1), view: select.text(2), enabled: select.int64(3) != 0,
            createdMilliseconds: select.int64(4), keySchema: (try? JSONParser.parse(select.blob(5))) ?? .array([]))
    }

    func describeStream(_ request: JSONValue) throws -> JSONValue {
        guard let arn = try Self.string(request, "StreamArn") else {
            throw DynamoError.validation(
                "1 validation error detected: Value null at 'streamArn' failed to satisfy constraint: Member must not be null"
            )
        }
        let limit = try Self.limit(request, max: 100, default: 100, path: "limit")
        let start = try Self.string(request, "ExclusiveStartShardId")
        let stream = try streamRow(arn)
        // A shard past its period is closed even without a write, so readers see the lineage.
        if stream.enabled, let open = try openShard(of: arn),
            Double(nowMilliseconds - open.createdMilliseconds) >= streamSettings.shardPeriodSeconds * 1000
        {
            try db.transaction {
                try close(open.shard, arn: arn)
                try openShard(arn: arn, parent: open.shard)
            }
        }
        let select = try db.statement(
            "SELECT shard, parent, start_seq, end_seq FROM dc_shards WHERE arn = ? ORDER BY start_seq, shard")
        select.bind(1, arn)
        var shards: [JSONValue] = []
        var passedStart = start == nil
        while try select.step() {
            let id = select.text(0)
            if !passedStart {
                passedStart = id == start
                continue
            }
            var range: [String: JSONValue] = ["StartingSequenceNumber": .string(SequenceNumber.text(select.int64(2)))]
            if !select.isNull(3) { range["EndingSequenceNumber"] = .string(SequenceNumber.text(select.int64(3))) }
            var shard: [String: JSONValue] = ["ShardId": .string(id), "SequenceNumberRange": .object(range)]
            if !select.isNull(1) { shard["ParentShardId"] = .string(select.text(1)) }
            shards.append(.object(shard))
        }
        var description: [String: JSONValue] = [
            "StreamArn": .string(arn),
            "StreamLabel": .string(stream.label),
            "StreamStatus": .string(stream.enabled ? "ENABLED" : "DISABLED"),
            "StreamViewType": .string(stream.view),
            "CreationRequestDateTime": .number(format3(Double(stream.createdMilliseconds) / 1000)),
            "TableName": .string(stream.table),
            "KeySchema": stream.keySchema,
            "Shards": .array(Array(shards.prefix(limit))),
        ]
        if shards.count > limit, let last = shards[limit - 1]["ShardId"] { description["LastEvaluatedShardId"] = last }
        return .object(["StreamDescription": .object(description)])
    }

    struct ShardRow {
        var startSequence: Int64
        var endSequence: Int64?
        var trimmedThrough: Int64
    }

    func shardRow(_ arn: String, _ shard: String) throws -> ShardRow {
        let select = try db.statement(
            "SELECT start_seq, end_seq, trimmed_through FROM dc_shards WHERE arn = ? AND shard = ?")
        select.bind(1, arn)
        select.bind(2, shard)
        guard try select.step() else { throw Self.streamNotFound("Shard: \(shard) in stream \(arn)") }
        return ShardRow(
            startSequence: select.int64(0), endSequence: select.isNull(1) ? nil : select.int64(1),
            trimmedThrough: select.int64(2))
    }

    func hasRecords(_ arn: String, _ shard: String, after: Int64) throws -> Bool {
        let select = try db.statement(
            "SELECT 1 FROM dc_stream_records WHERE arn = ? AND shard = ? AND seq > ? LIMIT 1")
        select.bind(1, arn)
        select.bind(2, shard)
        select.bind(3, after)
        return try select.step()
    }

    static let trimmedType = "com.amazonaws.dynamodb.v20120810#TrimmedDataAccessException"

    func getShardIterator(_ request: JSONValue) throws -> JSONValue {
        guard let arn = try Self.string(request, "StreamArn"), let shardId = try Self.string(request, "ShardId"),
            let type = try Self.string(request, "ShardIteratorType")
        else {
            throw DynamoError.validation(
                "1 validation error detected: StreamArn, ShardId and ShardIteratorType must not be null")
        }
        _ = try streamRow(arn)
        let shard = try shardRow(arn, shardId)
        let trimHorizon = max(shard.startSequence - 1, shard.trimmedThrough)
        var after: Int64
        switch type {
        case "TRIM_HORIZON":
            after = trimHorizon
        case "LATEST":
            let newest = try lastSequence
            after = shard.endSequence ?? max(newest, shard.startSequence - 1)
        case "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER":
            guard let text = try Self.string(request, "SequenceNumber"), let n = SequenceNumber.parse(text) else {
                throw DynamoError.validation("A valid SequenceNumber is required for \(type)")
            }
            guard n >= shard.startSequence, shard.endSequence.map({ n <= $0 }) ?? true else {
                throw DynamoError.validation(
                    "StartingSequenceNumber \(text) used in GetShardIterator on shard \(shardId) is not in the shard's range"
                )
            }
            after = type == "AT_SEQUENCE_NUMBER" ? n - 1 : n
            if after < trimHorizon {
                throw DynamoError(
                    status: 400, type: Self.trimmedType,
                    message: "The operation attempted to read past the oldest stream record in a shard.")
            }
        default:
            throw DynamoError.validation(
                "1 validation error detected: Value '\(type)' at 'shardIteratorType' failed to satisfy constraint: Member must satisfy enum value set: [AFTER_SEQUENCE_NUMBER, LATEST, AT_SEQUENCE_NUMBER, TRIM_HORIZON]"
            )
        }
        let iterator = ShardIterator(
            streamArn: arn, shardId: shardId, after: after, issuedAtMilliseconds: nowMilliseconds)
        return .object(["ShardIterator": .string(iterator.text)])
    }

    /// Records after the iterator's position, up to Limit (1,000) and 1 MB; no next iterator
    /// once a closed shard is read to its end.
    func getRecords(_ request: JSONValue) throws -> JSONValue {
        guard let text = try Self.string(request, "ShardIterator") else {
            throw DynamoError.validation(
                "1 validation error detected: Value null at 'shardIterator' failed to satisfy constraint: Member must not be null"
            )
        }
        let limit = try Self.limit(request, max: 1_000, default: 1_000, path: "limit")
        let iterator = try ShardIterator(text: text)
        let now = nowMilliseconds
        if Double(now - iterator.issuedAtMilliseconds) > streamSettings.iteratorLifetimeSeconds * 1000 {
            throw DynamoError(
                status: 400, type: "com.amazonaws.dynamodb.v20120810#ExpiredIteratorException",
                message:
                    "Iterator expired. The iterator was created at time \(iterator.issuedAtMilliseconds) ms while right now it is \(now) ms which is further in the future than the tolerated delay of \(Int64(streamSettings.iteratorLifetimeSeconds * 1000)) ms."
            )
        }
        let shard = try shardRow(iterator.streamArn, iterator.shardId)
        if iterator.after < shard.trimmedThrough {
            throw DynamoError(
                status: 400, type: Self.trimmedType,
                message: "The operation attempted to read past the oldest stream record in a shard.")
        }
        let select = try db.statement(
            "SELECT seq, record FROM dc_stream_records WHERE arn = ? AND shard = ? AND seq > ? ORDER BY seq LIMIT ?")
        select.bind(1, iterator.streamArn)
        select.bind(2, iterator.shardId)
        select.bind(3, iterator.after)
        select.bind(4, Int64(limit))
        var records: [JSONValue] = []
        var bytes = 0
        var last = iterator.after
        while try select.step() {
            let blob = select.blob(1)
            if !records.isEmpty && bytes + blob.count > 1_048_576 { break }
            last = select.int64(0)
            guard case .object(var record)? = try? JSONParser.parse(blob),
                case .object(var change)? = record["dynamodb"]
            else { continue }
            change["SequenceNumber"] = .string(SequenceNumber.text(last))
            record["dynamodb"] = .object(change)
            records.append(.object(record))
            bytes += blob.count
        }
        var response: [String: JSONValue] = ["Records": .array(records)]
        if shard.endSequence != nil, try !hasRecords(iterator.streamArn, iterator.shardId, after: last) {
            return .object(response)  // closed and read to its end: the consumer moves to the children
        }
        response["NextShardIterator"] = .string(
            ShardIterator(
                streamArn: iterator.streamArn, shardId: iterator.shardId, after: last, issuedAtMilliseconds: now
            )
            .text)
        return .object(response)
    }
}
