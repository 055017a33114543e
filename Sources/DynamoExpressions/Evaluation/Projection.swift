import DynamoModel

/// Applies a ProjectionExpression: the result keeps only the named paths, nested structure
/// included; elements picked from a list keep their relative order.
public enum Projection {
    public static func apply(_ paths: [AttributePath], to item: Item) -> Item {
        let projected = project(.m(item), paths.map { $0.elements[...] })
        if case .m(let map)? = projected { return map }
        return [:]
    }

    static func project(_ value: AttributeValue, _ paths: [ArraySlice<PathElement>]) -> AttributeValue? {
        if paths.contains(where: { $0.isEmpty }) { return value }
        switch value {
        case .m(let map):
            var grouped: [String: [ArraySlice<PathElement>]] = [:]
            for path in paths {
                if case .name(let n) = path.first! { grouped[n, default: []].append(path.dropFirst()) }
            }
            var out: [String: AttributeValue] = [:]
            for (name, rests) in grouped {
                if let child = map[name], let projected = project(child, rests) { out[name] = projected }
            }
            return out.isEmpty ? nil : .m(out)
        case .l(let list):
            var grouped: [Int: [ArraySlice<PathElement>]] = [:]
            for path in paths {
                if case .index(let i) = path.first! { grouped[i, default: []].append(path.dropFirst()) }
            }
            var out: [AttributeValue] = []
            for index in grouped.keys.sorted() where index < list.count {
                if let projected = project(list[index], grouped[index]!) { out.append(projected) }
            }
            return out.isEmpty ? nil : .l(out)
        default:
            return nil
        }
    }
}
