/// Checks that a request body has DynamoDB's shape before the proxy acts on it.
///
/// The proxy forwards the client's bytes unchanged, so this does not rewrite anything: it makes
/// sure that what the proxy will later read (keys, items, expression values) is well typed, and
/// that a malformed request gets DynamoDB's `SerializationException` or `ValidationException`
/// from the proxy rather than whatever an upstream emulator happens to do with it. Each member is
/// checked against the operation's input shape in DynamoDB's API model (`RequestModel`); missing
/// required parameters and enum values are left to the table store, whose messages name them
/// precisely.
public enum RequestShape {
    /// Parses and checks a request body for `operation`, returning the parsed document.
    public static func validate(body: some Collection<UInt8>, operation: Operation) throws(DynamoError) -> JSONValue {
        let json: JSONValue
        do {
            json = try JSONParser.parse(body)
        } catch {
            throw DynamoError.serialization("Malformed JSON request body: \(error)")
        }
        guard case .object = json else {
            throw DynamoError.serialization("The request body must be a JSON object, found \(json.typeName)")
        }
        if let input = RequestModel.inputs[operation.target] {
            try check(json, shape: input, path: "")
        }
        return json
    }

    static func check(_ json: JSONValue, shape: Int, path: String) throws(DynamoError) {
        if case .null = json { return }
        switch RequestModel.shapes[shape] {
        case .structure(let members):
            guard case .object(let values) = json else { throw mismatch(path, expected: "structure", found: json) }
            for (name, value) in values {
                guard let member = members[name] else { continue }
                try check(value, shape: member, path: path.isEmpty ? name : "\(path).\(name)")
            }
        case .list(let element):
            guard case .array(let elements) = json else { throw mismatch(path, expected: "list", found: json) }
            for (i, value) in elements.enumerated() { try check(value, shape: element, path: "\(path)[\(i)]") }
        case .map(let valueShape):
            guard case .object(let values) = json else { throw mismatch(path, expected: "map", found: json) }
            if case .attributeValue = RequestModel.shapes[valueShape] {
                _ = try Item.fromJSON(json, parameter: path)
                return
            }
            for (key, value) in values { try check(value, shape: valueShape, path: "\(path).\(key)") }
        case .string:
            guard case .string = json else { throw mismatch(path, expected: "string", found: json) }
        case .integer:
            guard case .number = json else { throw mismatch(path, expected: "integer", found: json) }
            guard json.intValue != nil else {
                throw DynamoError.serialization("\(path): expected an integer, found \(json)")
            }
        case .number:
            guard case .number = json else { throw mismatch(path, expected: "number", found: json) }
        case .boolean:
            guard case .bool = json else { throw mismatch(path, expected: "boolean", found: json) }
        case .timestamp:
            switch json {
            case .number, .string: break
            default: throw mismatch(path, expected: "timestamp", found: json)
            }
        case .attributeValue:
            _ = try AttributeValue(json: json)
        }
    }

    static func mismatch(_ path: String, expected: String, found: JSONValue) -> DynamoError {
        .serialization("\(path): expected a \(expected), found a \(found.typeName)")
    }
}
