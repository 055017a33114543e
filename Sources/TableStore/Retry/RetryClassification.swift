import DynamoModel
import Foundation

/// What an answer from the table store means for a retry.
public enum RetryOutcome: Sendable, Equatable {
    case success
    /// Throttled: nothing was applied, so a retry is always safe. `resource` is the table or
    /// index named by the error's ThrottlingReasons, when DynamoDB sent them.
    case throttled(code: String, resource: String?)
    /// The store failed in a way that may pass (5xx, a dropped connection). `applied` says
    /// whether the request may have taken effect.
    case transient(code: String, applied: Applied)
    /// An answer that another attempt would not change (validation, condition failed, ...).
    case final

    public enum Applied: Sendable, Equatable {
        case no
        case unknown
    }
}

/// Classifies DynamoDB answers and transport failures (see DESIGN.md, "Rules that keep the
/// cache correct": throttling is retried; unknown outcomes only for idempotent requests).
public enum RetryClassification {
    public static let throttlingCodes: Set<String> = [
        "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
    ]

    public static func classify(_ response: TableStoreResponse) -> RetryOutcome {
        if response.status < 300 { return .success }
        var body = response.body
        let bytes = body.readBytes(length: body.readableBytes) ?? []
        let json = try? JSONParser.parse(bytes)
        let type = json?["__type"]?.stringValue ?? ""
        let code = type.split(separator: "#").last.map(String.init) ?? type
        if throttlingCodes.contains(code) {
            return .throttled(code: code, resource: throttledResource(json))
        }
        if response.status >= 500 {
            return .transient(code: code.isEmpty ? "HTTP\(response.status)" : code, applied: .unknown)
        }
        return .final
    }

    public static func classify(_ error: any Error) -> RetryOutcome {
        if let transport = error as? TableStoreTransportError {
            return .transient(code: "TransportError", applied: transport.requestSent ? .unknown : .no)
        }
        return .transient(code: "TransportError", applied: .unknown)
    }

    /// `ThrottlingReasons: [{reason, resource}]`, DynamoDB's newer error detail: the resource's
    /// ARN names the table (`…:table/T`) or index (`…:table/T/index/I`).
    static func throttledResource(_ json: JSONValue?) -> String? {
        guard let reasons = json?["ThrottlingReasons"]?.arrayValue, let first = reasons.first,
            let arn = first["resource"]?.stringValue
        else { return nil }
        guard let range = arn.range(of: ":table/") else { return arn }
        return String(arn[range.upperBound...]).replacingSlashes()
    }
}

extension String {
    /// `T/index/I` → `T/I`, the resource naming this policy uses.
    fileprivate func replacingSlashes() -> String {
        let parts = split(separator: "/")
        if parts.count == 3, parts[1] == "index" { return "\(parts[0])/\(parts[2])" }
        return self
    }
}
