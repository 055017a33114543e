/// Which API an `X-Amz-Target` names: DynamoDB proper or DynamoDB Streams. Both use JSON 1.0 and
/// are signed as service `dynamodb`, but AWS serves them at different hosts.
public enum APIFamily: String, Sendable {
    case dynamoDB = "DynamoDB_20120810"
    case streams = "DynamoDBStreams_20120810"
}

/// An operation named by an `X-Amz-Target` header, e.g. `DynamoDB_20120810.GetItem`.
public struct Operation: Sendable, Hashable, CustomStringConvertible {
    public let family: APIFamily
    public let name: String

    public init(family: APIFamily, name: String) {
        self.family = family
        self.name = name
    }

    public var target: String { "\(family.rawValue).\(name)" }
    public var description: String { target }

    /// Every operation of the 2012-08-10 DynamoDB API. The proxy forwards these; a name outside
    /// this list is answered with `UnknownOperationException`, as DynamoDB answers it.
    public static let dynamoDBOperations: Set<String> = [
        "BatchExecuteStatement", "BatchGetItem", "BatchWriteItem", "CreateBackup", "CreateGlobalTable",
        "CreateTable", "DeleteBackup", "DeleteItem", "DeleteResourcePolicy", "DeleteTable",
        "DescribeBackup", "DescribeContinuousBackups", "DescribeContributorInsights", "DescribeEndpoints",
        "DescribeExport", "DescribeGlobalTable", "DescribeGlobalTableSettings", "DescribeImport",
        "DescribeKinesisStreamingDestination", "DescribeLimits", "DescribeTable",
        "DescribeTableReplicaAutoScaling", "DescribeTimeToLive", "DisableKinesisStreamingDestination",
        "EnableKinesisStreamingDestination", "ExecuteStatement", "ExecuteTransaction",
        "ExportTableToPointInTime", "GetItem", "GetResourcePolicy", "ImportTable", "ListBackups",
        "ListContributorInsights", "ListExports", "ListGlobalTables", "ListImports", "ListTables",
        "ListTagsOfResource", "PutItem", "PutResourcePolicy", "Query", "RestoreTableFromBackup",
        "RestoreTableToPointInTime", "Scan", "TagResource", "TransactGetItems", "TransactWriteItems",
        "UntagResource", "UpdateContinuousBackups", "UpdateContributorInsights", "UpdateGlobalTable",
        "UpdateGlobalTableSettings", "UpdateItem", "UpdateKinesisStreamingDestination", "UpdateTable",
        "UpdateTableReplicaAutoScaling", "UpdateTimeToLive",
    ]

    /// Every operation of the 2012-08-10 DynamoDB Streams API.
    public static let streamsOperations: Set<String> = [
        "DescribeStream", "GetRecords", "GetShardIterator", "ListStreams",
    ]
}

/// What an `X-Amz-Target` header says, once read.
public enum TargetHeader: Sendable, Equatable {
    /// A known DynamoDB or Streams operation.
    case known(Operation)
    /// The DynamoDB or Streams prefix with a name that API does not have.
    case unknown(String)
    /// No header, or another service's target: not a DynamoDB request at all.
    case foreign

    public init(_ header: String?) {
        guard let header, let dot = header.firstIndex(of: ".") else {
            self = .foreign
            return
        }
        let prefix = header[..<dot]
        let name = String(header[header.index(after: dot)...])
        guard let family = APIFamily(rawValue: String(prefix)) else {
            self = .foreign
            return
        }
        let known =
            switch family {
            case .dynamoDB: Operation.dynamoDBOperations.contains(name)
            case .streams: Operation.streamsOperations.contains(name)
            }
        self = known ? .known(Operation(family: family, name: name)) : .unknown(header)
    }
}
