import DynamoModel

/// Applies an UpdateExpression's actions to an item. Every operand is read from the item as it
/// was before the update, as DynamoDB does; the result is the new item.
public enum UpdateApplier {
    static let kind = ExpressionKind.update

    public static func apply(_ actions: [UpdateAction], to original: Item) throws(ExpressionError) -> Item {
        // Values first, all from the original item.
        var sets: [(AttributePath, AttributeValue)] = []
        for case .set(let path, let operand) in actions {
            sets.append((path, try value(operand, original)))
        }
        var item = original
        for (path, value) in sets { try assign(value, at: path, in: &item) }
        // Removals of list elements go highest index first, so earlier indexes stay valid.
        let removals = actions.compactMap { action -> AttributePath? in
            if case .remove(let p) = action { return p }
            return nil
        }.sorted { a, b in
            if case .index(let i)? = a.elements.last, case .index(let j)? = b.elements.last { return i > j }
            return false
        }
        for path in removals { remove(path, from: &item) }
        for action in actions {
            switch action {
            case .add(let path, let operand):
                let addend = try value(operand, original)
                try add(addend, at: path, in: &item, original: original)
            case .delete(let path, let operand):
                let subtrahend = try value(operand, original)
                try delete(subtrahend, at: path, in: &item, original: original)
            default:
                break
            }
        }
        return item
    }

    static let incorrectType = ExpressionError.invalid(
        kind, "Incorrect operand type for operator or function; operator or function: list_append, operand type: M")

    static func value(_ operand: Operand, _ item: Item) throws(ExpressionError) -> AttributeValue {
        switch operand {
        case .value(let v):
            return v
        case .path(let p):
            guard let v = item.value(at: p) else {
                throw ExpressionError("The provided expression refers to an attribute that does not exist in the item")
            }
            return v
        case .size:
            throw .invalid(kind, "The function is not allowed in an update expression; function: size")
        case .ifNotExists(let p, let fallback):
            if let v = item.value(at: p) { return v }
            return try value(fallback, item)
        case .listAppend(let a, let b):
            let x = try value(a, item)
            let y = try value(b, item)
            guard case .l(let first) = x, case .l(let second) = y else {
                let bad = { if case .l = x { return y } else { return x } }()
                throw .invalid(
                    kind,
                    "Incorrect operand type for operator or function; operator or function: list_append, operand type: \(bad.typeDescriptor)"
                )
            }
            return .l(first + second)
        case .plus(let a, let b), .minus(let a, let b):
            let x = try value(a, item)
            let y = try value(b, item)
            guard case .n(let m) = x, case .n(let n) = y else {
                throw ExpressionError("An operand in the update expression has an incorrect data type")
            }
            do {
                if case .plus = operand { return .n(try m.adding(n)) }
                return .n(try m.subtracting(n))
            } catch {
                throw ExpressionError(error.message)
            }
        }
    }

    static let invalidPath = ExpressionError(
        "The document path provided in the update expression is invalid for update")

    /// Sets `value` at `path`; the path's parent must exist (a list index past the end appends).
    static func assign(_ value: AttributeValue, at path: AttributePath, in item: inout Item) throws(ExpressionError) {
        let name = path.topLevelName
        if path.elements.count == 1 {
            item[name] = value
            return
        }
        guard var root = item[name] else { throw invalidPath }
        try assign(value, at: path.elements.dropFirst(), in: &root)
        item[name] = root
    }

    static func assign(_ value: AttributeValue, at rest: ArraySlice<PathElement>, in node: inout AttributeValue)
        throws(ExpressionError)
    {
        let step = rest.first!
        let tail = rest.dropFirst()
        switch (step, node) {
        case (.name(let n), .m(var map)):
            if tail.isEmpty {
                map[n] = value
            } else {
                guard var child = map[n] else { throw invalidPath }
                try assign(value, at: tail, in: &child)
                map[n] = child
            }
            node = .m(map)
        case (.index(let i), .l(var list)):
            if tail.isEmpty {
                if i < list.count { list[i] = value } else { list.append(value) }
            } else {
                guard i < list.count else { throw invalidPath }
                var child = list[i]
                try assign(value, at: tail, in: &child)
                list[i] = child
            }
            node = .l(list)
        default:
            throw invalidPath
        }
    }

    static func remove(_ path: AttributePath, from item: inout Item) {
        let name = path.topLevelName
        if path.elements.count == 1 {
            item[name] = nil
            return
        }
        guard var root = item[name] else { return }
        remove(path.elements.dropFirst(), from: &root)
        item[name] = root
    }

    static func remove(_ rest: ArraySlice<PathElement>, from node: inout AttributeValue) {
        let step = rest.first!
        let tail = rest.dropFirst()
        switch (step, node) {
        case (.name(let n), .m(var map)):
            if tail.isEmpty {
                map[n] = nil
            } else if var child = map[n] {
                remove(tail, from: &child)
                map[n] = child
            }
            node = .m(map)
        case (.index(let i), .l(var list)) where i < list.count:
            if tail.isEmpty {
                list.remove(at: i)
            } else {
                var child = list[i]
                remove(tail, from: &child)
                list[i] = child
            }
            node = .l(list)
        default:
            return
        }
    }

    static func add(_ addend: AttributeValue, at path: AttributePath, in item: inout Item, original: Item)
        throws(ExpressionError)
    {
        let current = item.value(at: path)
        let result: AttributeValue
        switch (current, addend) {
        case (nil, .n), (nil, .ss), (nil, .ns), (nil, .bs):
            result = addend
        case (.n(let a)?, .n(let b)):
            do { result = .n(try a.adding(b)) } catch { throw ExpressionError(error.message) }
        case (.ss(let a)?, .ss(let b)):
            result = .ss(a + b.filter { !a.contains($0) })
        case (.ns(let a)?, .ns(let b)):
            result = .ns(a + b.filter { !a.contains($0) })
        case (.bs(let a)?, .bs(let b)):
            result = .bs(a + b.filter { !a.contains($0) })
        case (_, .n), (_, .ss), (_, .ns), (_, .bs):
            throw ExpressionError("An operand in the update expression has an incorrect data type")
        default:
            throw .invalid(
                kind,
                "Incorrect operand type for operator or function; operator: ADD, operand type: \(addend.typeDescriptor)"
            )
        }
        try assign(result, at: path, in: &item)
    }

    static func delete(_ subtrahend: AttributeValue, at path: AttributePath, in item: inout Item, original: Item)
        throws(ExpressionError)
    {
        let current = item.value(at: path)
        var remaining: AttributeValue?
        switch (current, subtrahend) {
        case (nil, .ss), (nil, .ns), (nil, .bs):
            return
        case (.ss(let a)?, .ss(let b)):
            let left = a.filter { !b.contains($0) }
            remaining = left.isEmpty ? nil : .ss(left)
        case (.ns(let a)?, .ns(let b)):
            let left = a.filter { !b.contains($0) }
            remaining = left.isEmpty ? nil : .ns(left)
        case (.bs(let a)?, .bs(let b)):
            let left = a.filter { !b.contains($0) }
            remaining = left.isEmpty ? nil : .bs(left)
        case (_, .ss), (_, .ns), (_, .bs):
            throw ExpressionError("An operand in the update expression has an incorrect data type")
        default:
            throw .invalid(
                kind,
                "Incorrect operand type for operator or function; operator: DELETE, operand type: \(subtrahend.typeDescriptor)"
            )
        }
        if let remaining {
            try assign(remaining, at: path, in: &item)
        } else {
            remove(path, from: &item)
        }
    }
}
