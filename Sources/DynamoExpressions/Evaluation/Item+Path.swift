import DynamoModel

extension Dictionary where Key == String, Value == AttributeValue {
    /// The value a document path names, or nil when any step is missing or of the wrong type.
    public func value(at path: AttributePath) -> AttributeValue? {
        guard case .name(let first) = path.elements[0], var current = self[first] else { return nil }
        for element in path.elements.dropFirst() {
            switch (element, current) {
            case (.name(let n), .m(let map)):
                guard let next = map[n] else { return nil }
                current = next
            case (.index(let i), .l(let list)):
                guard i < list.count else { return nil }
                current = list[i]
            default:
                return nil
            }
        }
        return current
    }
}
