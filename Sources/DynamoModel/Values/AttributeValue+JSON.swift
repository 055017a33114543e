extension AttributeValue {
    /// Decodes `{"S": "x"}` and its kin with DynamoDB's validation: exactly one type set,
    /// numbers within range, base64 well formed, sets non-empty and without duplicates,
    /// `NULL` only `true`.
    public init(json: JSONValue) throws(DynamoError) {
        guard case .object(let members) = json else {
            throw DynamoError.serialization("Expected an AttributeValue object, found \(json.typeName)")
        }
        guard members.count == 1, let (type, value) = members.first else {
            if members.isEmpty {
                throw DynamoError.validation(
                    "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
                )
            }
            throw DynamoError.validation(
                "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"
            )
        }
        switch type {
        case "S":
            self = .s(try Self.string(value, type))
        case "N":
            self = .n(try DynamoNumber(parsing: try Self.string(value, type)))
        case "B":
            self = .b(try Self.binary(value))
        case "BOOL":
            guard case .bool(let b) = value else { throw Self.wrongType(type, value) }
            self = .bool(b)
        case "NULL":
            guard case .bool(let b) = value else { throw Self.wrongType(type, value) }
            guard b else {
                throw DynamoError.validation(
                    "One or more parameter values were invalid: Null attribute value types must have the value of true"
                )
            }
            self = .null
        case "M":
            guard case .object(let map) = value else { throw Self.wrongType(type, value) }
            var out: [String: AttributeValue] = [:]
            out.reserveCapacity(map.count)
            for (name, element) in map { out[name] = try AttributeValue(json: element) }
            self = .m(out)
        case "L":
            guard case .array(let list) = value else { throw Self.wrongType(type, value) }
            var out: [AttributeValue] = []
            out.reserveCapacity(list.count)
            for element in list { out.append(try AttributeValue(json: element)) }
            self = .l(out)
        case "SS":
            let strings = try Self.set(value, type) { (v) throws(DynamoError) in try Self.string(v, type) }
            try Self.checkSet(strings, type)
            self = .ss(strings)
        case "NS":
            let numbers = try Self.set(value, type) { (v) throws(DynamoError) in
                try DynamoNumber(parsing: try Self.string(v, type))
            }
            try Self.checkSet(numbers, type)
            self = .ns(numbers)
        case "BS":
            let blobs = try Self.set(value, type) { (v) throws(DynamoError) in try Self.binary(v) }
            try Self.checkSet(blobs, type)
            self = .bs(blobs)
        default:
            throw DynamoError.serialization("Unknown AttributeValue type: \(type)")
        }
    }

    public var json: JSONValue {
        switch self {
        case .s(let s): .object(["S": .string(s)])
        case .n(let n): .object(["N": .string(n.description)])
        case .b(let b): .object(["B": .string(Base64.encode(b))])
        case .bool(let b): .object(["BOOL": .bool(b)])
        case .null: .object(["NULL": .bool(true)])
        case .m(let m): .object(["M": .object(m.mapValues(\.json))])
        case .l(let l): .object(["L": .array(l.map(\.json))])
        case .ss(let ss): .object(["SS": .array(ss.map { .string($0) })])
        case .ns(let ns): .object(["NS": .array(ns.map { .string($0.description) })])
        case .bs(let bs): .object(["BS": .array(bs.map { .string(Base64.encode($0)) })])
        }
    }

    static func string(_ value: JSONValue, _ type: String) throws(DynamoError) -> String {
        guard case .string(let s) = value else { throw wrongType(type, value) }
        return s
    }

    static func binary(_ value: JSONValue) throws(DynamoError) -> [UInt8] {
        guard case .string(let text) = value else { throw wrongType("B", value) }
        guard let bytes = Base64.decode(text) else {
            throw DynamoError.serialization(
                "Base64 encoded length is expected a multiple of 4 bytes but found: \(text.utf8.count)")
        }
        return bytes
    }

    static func set<T>(
        _ value: JSONValue,
        _ type: String,
        _ element: (JSONValue) throws(DynamoError) -> T
    ) throws(DynamoError) -> [T] {
        guard case .array(let list) = value else { throw wrongType(type, value) }
        var out: [T] = []
        out.reserveCapacity(list.count)
        for item in list { out.append(try element(item)) }
        return out
    }

    static func checkSet<T: Hashable>(_ elements: [T], _ type: String) throws(DynamoError) {
        guard !elements.isEmpty else {
            throw DynamoError.validation("One or more parameter values were invalid: An \(type) set may not be empty")
        }
        guard Set(elements).count == elements.count else {
            throw DynamoError.validation(
                "One or more parameter values were invalid: Input collection contains duplicates")
        }
    }

    static func wrongType(_ type: String, _ value: JSONValue) -> DynamoError {
        .serialization("Unexpected \(value.typeName) for AttributeValue type \(type)")
    }
}

extension Item {
    /// Decodes a JSON object of attribute values (an item, a key, `ExpressionAttributeValues`).
    public static func fromJSON(_ json: JSONValue, parameter: String) throws(DynamoError) -> Item {
        guard case .object(let members) = json else {
            throw DynamoError.serialization(
                "\(parameter): expected an object of AttributeValues, found \(json.typeName)")
        }
        var item: Item = [:]
        item.reserveCapacity(members.count)
        for (name, value) in members { item[name] = try AttributeValue(json: value) }
        return item
    }

    public var json: JSONValue { .object(mapValues(\.json)) }
}
