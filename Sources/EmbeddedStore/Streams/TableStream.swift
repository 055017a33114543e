import DynamoModel

/// A table's stream, as its definition remembers it: the latest stream's ARN and label, its view
/// type, and whether it is still enabled (a disabled stream's records stay readable until they
/// age out; enabling again makes a new stream with a new ARN).
struct TableStream: Sendable, Equatable {
    enum ViewType: String, Sendable, CaseIterable {
        case keysOnly = "KEYS_ONLY"
        case newImage = "NEW_IMAGE"
        case oldImage = "OLD_IMAGE"
        case newAndOldImages = "NEW_AND_OLD_IMAGES"

        var includesNew: Bool { self == .newImage || self == .newAndOldImages }
        var includesOld: Bool { self == .oldImage || self == .newAndOldImages }
    }

    var arn: String
    var label: String
    var viewType: ViewType
    var enabled: Bool

    var json: JSONValue {
        .object([
            "arn": .string(arn), "label": .string(label), "view": .string(viewType.rawValue), "enabled": .bool(enabled),
        ])
    }

    init(arn: String, label: String, viewType: ViewType, enabled: Bool) {
        self.arn = arn
        self.label = label
        self.viewType = viewType
        self.enabled = enabled
    }

    init?(json: JSONValue?) {
        guard let json, let arn = json["arn"]?.stringValue, let label = json["label"]?.stringValue,
            let view = json["view"]?.stringValue.flatMap(ViewType.init(rawValue:)),
            case .bool(let enabled)? = json["enabled"]
        else { return nil }
        self.init(arn: arn, label: label, viewType: view, enabled: enabled)
    }

    /// A request's StreamSpecification: nil when absent; `.some(nil)` to disable; else the view.
    static func specification(_ request: JSONValue) throws(DynamoError) -> ViewType?? {
        guard let spec = request["StreamSpecification"], spec != .null else { return nil }
        guard case .bool(let enabled)? = spec["StreamEnabled"] else {
            throw DynamoError.validation(
                "1 validation error detected: Value null at 'streamSpecification.streamEnabled' failed to satisfy constraint: Member must not be null"
            )
        }
        guard enabled else {
            if spec["StreamViewType"] != nil && spec["StreamViewType"] != .null {
                throw DynamoError.validation(
                    "One or more parameter values were invalid: Disabling streams with a StreamViewType is not allowed")
            }
            return .some(nil)
        }
        guard let text = spec["StreamViewType"]?.stringValue, let view = ViewType(rawValue: text) else {
            throw DynamoError.validation(
                "One or more parameter values were invalid: Enabling streams requires a StreamViewType of KEYS_ONLY, NEW_IMAGE, OLD_IMAGE or NEW_AND_OLD_IMAGES"
            )
        }
        return .some(view)
    }
}
