import DynamoModel

/// What a PartiQL statement writes, read just far enough to invalidate the cache precisely:
/// its table and, where the statement pins them, the key attributes of the one item it writes.
///
/// `INSERT INTO t VALUE {'pk': 'a', 'sk': ?}` names its item's top-level attributes;
/// `UPDATE t SET ... WHERE pk = ? AND sk = 'x'` and `DELETE FROM t WHERE ...` name the ones
/// their WHERE clause compares for equality, joined by AND. Anything else (OR, IN, ranges,
/// a statement this reader does not follow) leaves `attributes` nil: the caller invalidates
/// the whole table. A `SELECT` writes nothing.
public struct PartiQLWrite: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case insert, update, delete, select, other }

    public var kind: Kind
    /// The table named (its name, also when the statement names its ARN); nil when unread.
    public var table: String?
    /// Top-level attributes the statement pins to one value each; nil when unknown.
    public var attributes: [String: AttributeValue]?

    public init(kind: Kind, table: String?, attributes: [String: AttributeValue]?) {
        self.kind = kind
        self.table = table
        self.attributes = attributes
    }

    public var writes: Bool { kind != .select }

    /// Reads `statement`, whose `?` placeholders take `parameters` in order.
    public init(statement: String, parameters: [AttributeValue]) {
        var reader = PartiQLReader(tokens: PartiQLLexer.tokens(statement), parameters: parameters)
        self = reader.read()
    }
}

/// The tokens PartiQL statements are made of, as far as `PartiQLWrite` needs them.
enum PartiQLToken: Equatable {
    case word(String)
    /// A double-quoted identifier.
    case quoted(String)
    /// A single-quoted string literal.
    case string(String)
    case number(String)
    case parameter
    case symbol(Character)
    case invalid
}

enum PartiQLLexer {
    static func tokens(_ text: String) -> [PartiQLToken] {
        var out: [PartiQLToken] = []
        let chars = Array(text)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c.isWhitespace {
                i += 1
            } else if c == "'" || c == "\"" {
                var value = ""
                var j = i + 1
                var closed = false
                while j < chars.count {
                    if chars[j] == c {
                        if j + 1 < chars.count && chars[j + 1] == c {
                            value.append(c)
                            j += 2
                            continue
                        }
                        closed = true
                        break
                    }
                    value.append(chars[j])
                    j += 1
                }
                guard closed else { return out + [.invalid] }
                out.append(c == "'" ? .string(value) : .quoted(value))
                i = j + 1
            } else if c.isNumber || (c == "-" && i + 1 < chars.count && chars[i + 1].isNumber) {
                var j = i + 1
                while j < chars.count,
                    chars[j].isNumber || chars[j] == "." || chars[j] == "e" || chars[j] == "E"
                        || ((chars[j] == "-" || chars[j] == "+") && (chars[j - 1] == "e" || chars[j - 1] == "E"))
                {
                    j += 1
                }
                out.append(.number(String(chars[i..<j])))
                i = j
            } else if c.isLetter || c == "_" {
                var j = i + 1
                while j < chars.count, chars[j].isLetter || chars[j].isNumber || chars[j] == "_" { j += 1 }
                out.append(.word(String(chars[i..<j])))
                i = j
            } else if c == "?" {
                out.append(.parameter)
                i += 1
            } else {
                out.append(.symbol(c))
                i += 1
            }
        }
        return out
    }
}

struct PartiQLReader {
    let tokens: [PartiQLToken]
    let parameters: [AttributeValue]
    var position = 0
    /// How many `?` were passed so far: the next one takes `parameters[used]`.
    var used = 0

    init(tokens: [PartiQLToken], parameters: [AttributeValue]) {
        self.tokens = tokens
        self.parameters = parameters
    }

    var current: PartiQLToken? { position < tokens.count ? tokens[position] : nil }

    mutating func next() -> PartiQLToken? {
        defer { position += 1 }
        return current
    }

    func isWord(_ token: PartiQLToken?, _ word: String) -> Bool {
        if case .word(let w)? = token { return w.uppercased() == word }
        return false
    }

    mutating func expectWord(_ word: String) -> Bool {
        guard isWord(current, word) else { return false }
        position += 1
        return true
    }

    mutating func tableName() -> String? {
        switch next() {
        case .word(let w)?: return TableReference.name(w)
        case .quoted(let q)?: return TableReference.name(q)
        default: return nil
        }
    }

    mutating func read() -> PartiQLWrite {
        guard case .word(let first)? = current else { return PartiQLWrite(kind: .other, table: nil, attributes: nil) }
        position += 1
        switch first.uppercased() {
        case "SELECT":
            return PartiQLWrite(kind: .select, table: nil, attributes: nil)
        case "INSERT":
            guard expectWord("INTO"), let table = tableName() else { return unknown(.insert, nil) }
            guard expectWord("VALUE"), current == .symbol("{") else { return unknown(.insert, table) }
            position += 1
            return PartiQLWrite(kind: .insert, table: table, attributes: tuple())
        case "UPDATE":
            guard let table = tableName() else { return unknown(.update, nil) }
            // Skip SET/REMOVE clauses, counting their parameters, up to WHERE.
            while let token = current, !isWord(token, "WHERE") {
                if token == .parameter { used += 1 }
                position += 1
            }
            guard expectWord("WHERE") else { return unknown(.update, table) }
            return PartiQLWrite(kind: .update, table: table, attributes: conjunction())
        case "DELETE":
            guard expectWord("FROM"), let table = tableName() else { return unknown(.delete, nil) }
            guard expectWord("WHERE") else { return unknown(.delete, table) }
            return PartiQLWrite(kind: .delete, table: table, attributes: conjunction())
        default:
            return PartiQLWrite(kind: .other, table: nil, attributes: nil)
        }
    }

    func unknown(_ kind: PartiQLWrite.Kind, _ table: String?) -> PartiQLWrite {
        PartiQLWrite(kind: kind, table: table, attributes: nil)
    }

    /// `'name': value, ...}` with scalar values kept and nested ones skipped; nil if unreadable.
    mutating func tuple() -> [String: AttributeValue]? {
        var out: [String: AttributeValue] = [:]
        while true {
            if current == .symbol("}") { return out }
            guard case .string(let name)? = next(), next() == .symbol(":") else { return nil }
            if let value = scalar() {
                out[name] = value
            } else if !skipNested() {
                return nil
            }
            switch next() {
            case .symbol(",")?: continue
            case .symbol("}")?: return out
            default: return nil
            }
        }
    }

    /// A literal or parameter at the current position, consumed; nil (nothing consumed) otherwise.
    mutating func scalar() -> AttributeValue? {
        switch current {
        case .string(let s)?:
            position += 1
            return .s(s)
        case .number(let n)?:
            guard let number = try? DynamoNumber(parsing: n) else { return nil }
            position += 1
            return .n(number)
        case .parameter?:
            guard used < parameters.count else { return nil }
            position += 1
            used += 1
            return parameters[used - 1]
        default:
            return nil
        }
    }

    /// Skips one nested value (`{...}`, `[...]`, `<<...>>`) or a bare word (true, null),
    /// counting its parameters.
    mutating func skipNested() -> Bool {
        var depth = 0
        repeat {
            guard let token = next() else { return false }
            switch token {
            case .symbol("{"), .symbol("["), .symbol("<"): depth += 1
            case .symbol("}"), .symbol("]"), .symbol(">"): depth -= 1
            case .parameter: used += 1
            case .invalid: return false
            default: break
            }
        } while depth > 0
        return depth == 0
    }

    /// `a = v AND b = v ...` to the end (an optional trailing `;`); nil for anything else.
    mutating func conjunction() -> [String: AttributeValue]? {
        var out: [String: AttributeValue] = [:]
        while true {
            let name: String
            switch next() {
            case .word(let w)?: name = w
            case .quoted(let q)?: name = q
            default: return nil
            }
            guard next() == .symbol("=") else { return nil }
            guard let value = scalar() else { return nil }
            guard out[name] == nil else { return nil }
            out[name] = value
            if current == nil || current == .symbol(";") { return out }
            guard expectWord("AND") else { return nil }
        }
    }
}
