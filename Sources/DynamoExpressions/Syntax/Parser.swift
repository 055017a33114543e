import DynamoModel

/// A recursive-descent parser for DynamoDB's expression grammar. Placeholders are resolved
/// while parsing (so an undefined one is reported with its expression), and bare names are
/// checked against the reserved words.
///
/// Precedence, lowest first: OR, AND, NOT, then comparisons, BETWEEN, IN and functions.
struct Parser {
    let kind: ExpressionKind
    let tokens: [Token]
    let source: [Unicode.Scalar]
    var position = 0
    var attributes: ExpressionAttributes
    /// Nesting of parentheses and NOTs, bounded so hostile input cannot exhaust the stack.
    var depth = 0

    /// DynamoDB's limit on any expression string.
    static let maximumLength = 4096
    static let maximumDepth = 64

    init(_ source: String, kind: ExpressionKind, attributes: ExpressionAttributes) throws(ExpressionError) {
        self.kind = kind
        if source.utf8.count > Self.maximumLength {
            throw .invalid(
                kind, "Expression size has exceeded the maximum allowed size; expression size: \(source.utf8.count)")
        }
        self.source = Array(source.unicodeScalars)
        self.tokens = try Lexer.tokens(source, kind: kind)
        self.attributes = attributes
        if tokens.count == 1 {
            throw .invalid(kind, "The expression can not be empty;")
        }
    }

    var current: Token { tokens[position] }

    mutating func advance() -> Token {
        let t = tokens[position]
        if position < tokens.count - 1 { position += 1 }
        return t
    }

    func syntaxError(_ token: Token? = nil) -> ExpressionError {
        let t = token ?? current
        return .syntax(kind, token: t.text, near: Lexer.near(source, t.offset))
    }

    mutating func expectSymbol(_ s: String) throws(ExpressionError) {
        guard current.isSymbol(s) else { throw syntaxError() }
        _ = advance()
    }

    mutating func expectEnd() throws(ExpressionError) {
        guard current.kind == .end else { throw syntaxError() }
    }

    // MARK: Conditions

    mutating func parseCondition() throws(ExpressionError) -> Condition {
        var left = try parseAnd()
        while current.isKeyword("OR") {
            _ = advance()
            left = .or(left, try parseAnd())
        }
        return left
    }

    mutating func parseAnd() throws(ExpressionError) -> Condition {
        var left = try parseNot()
        while current.isKeyword("AND") {
            _ = advance()
            left = .and(left, try parseNot())
        }
        return left
    }

    mutating func parseNot() throws(ExpressionError) -> Condition {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maximumDepth else {
            throw .invalid(kind, "The expression is nested too deeply; maximum depth: \(Self.maximumDepth)")
        }
        if current.isKeyword("NOT") {
            _ = advance()
            return .not(try parseNot())
        }
        return try parsePrimaryCondition()
    }

    static let conditionFunctions: Set<String> = [
        "attribute_exists", "attribute_not_exists", "attribute_type", "begins_with", "contains",
    ]

    mutating func parsePrimaryCondition() throws(ExpressionError) -> Condition {
        if current.isSymbol("(") {
            _ = advance()
            let inner = try parseCondition()
            try expectSymbol(")")
            return inner
        }
        if case .identifier(let name) = current.kind, tokens[position + 1].isSymbol("("),
            Self.conditionFunctions.contains(name)
        {
            return try parseConditionFunction(name)
        }
        let left = try parseOperand()
        let token = current
        switch token.kind {
        case .symbol(let s) where Comparator(rawValue: s) != nil:
            _ = advance()
            return .compare(Comparator(rawValue: s)!, left, try parseOperand())
        case .identifier where token.isKeyword("BETWEEN"):
            _ = advance()
            let low = try parseOperand()
            guard current.isKeyword("AND") else { throw syntaxError() }
            _ = advance()
            return .between(left, low, try parseOperand())
        case .identifier where token.isKeyword("IN"):
            _ = advance()
            try expectSymbol("(")
            var list = [try parseOperand()]
            while current.isSymbol(",") {
                _ = advance()
                list.append(try parseOperand())
            }
            try expectSymbol(")")
            return .isIn(left, list)
        default:
            throw syntaxError()
        }
    }

    mutating func parseConditionFunction(_ name: String) throws(ExpressionError) -> Condition {
        let nameToken = advance()
        _ = advance()  // (
        var args: [Operand] = []
        if !current.isSymbol(")") {
            args.append(try parseOperand())
            while current.isSymbol(",") {
                _ = advance()
                args.append(try parseOperand())
            }
        }
        try expectSymbol(")")
        func arity(_ n: Int) throws(ExpressionError) {
            guard args.count == n else {
                throw .invalid(
                    kind,
                    "Incorrect number of operands for operator or function; operator or function: \(name), number of operands: \(args.count)"
                )
            }
        }
        func pathArgument(_ operand: Operand) throws(ExpressionError) -> AttributePath {
            guard case .path(let p) = operand else {
                throw .invalid(
                    kind,
                    "Operator or function requires a document path; operator or function: \(name)"
                )
            }
            return p
        }
        _ = nameToken
        switch name {
        case "attribute_exists":
            try arity(1)
            return .attributeExists(try pathArgument(args[0]))
        case "attribute_not_exists":
            try arity(1)
            return .attributeNotExists(try pathArgument(args[0]))
        case "attribute_type":
            try arity(2)
            return .attributeType(try pathArgument(args[0]), args[1])
        case "begins_with":
            try arity(2)
            return .beginsWith(args[0], args[1])
        default:
            try arity(2)
            return .contains(args[0], args[1])
        }
    }

    // MARK: Operands

    /// A path, a `:value`, or `size(path)`.
    mutating func parseOperand() throws(ExpressionError) -> Operand {
        switch current.kind {
        case .valuePlaceholder(let p):
            _ = advance()
            return .value(try attributes.value(p, kind: kind))
        case .identifier(let name) where tokens[position + 1].isSymbol("("):
            guard name == "size" else {
                if Self.conditionFunctions.contains(name) || name == "if_not_exists" || name == "list_append" {
                    throw .invalid(
                        kind, "The function is not allowed to be used this way in an expression; function: \(name)")
                }
                throw .invalid(kind, "Invalid function name; function: \(name)")
            }
            _ = advance()
            _ = advance()
            let operand = try parseOperand()
            try expectSymbol(")")
            guard case .path(let path) = operand else {
                throw .invalid(kind, "Operator or function requires a document path; operator or function: size")
            }
            return .size(path)
        case .identifier, .namePlaceholder:
            return .path(try parsePath())
        default:
            throw syntaxError()
        }
    }

    mutating func parsePathName() throws(ExpressionError) -> String {
        let token = advance()
        switch token.kind {
        case .identifier(let name):
            if ReservedWords.contains(name) {
                throw .invalid(kind, "Attribute name is a reserved keyword; reserved keyword: \(name)")
            }
            return name
        case .namePlaceholder(let p):
            return try attributes.name(p, kind: kind)
        default:
            throw syntaxError(token)
        }
    }

    mutating func parsePath() throws(ExpressionError) -> AttributePath {
        var elements: [PathElement] = [.name(try parsePathName())]
        while true {
            if current.isSymbol(".") {
                _ = advance()
                elements.append(.name(try parsePathName()))
            } else if current.isSymbol("[") {
                _ = advance()
                guard case .integer(let digits) = current.kind, let index = Int(digits) else { throw syntaxError() }
                _ = advance()
                try expectSymbol("]")
                elements.append(.index(index))
            } else {
                return AttributePath(elements)
            }
        }
    }

    // MARK: Updates

    mutating func parseUpdate() throws(ExpressionError) -> [UpdateAction] {
        var actions: [UpdateAction] = []
        var seenClauses: Set<String> = []
        while current.kind != .end {
            guard case .identifier(let word) = current.kind else { throw syntaxError() }
            let clause = word.uppercased()
            guard ["SET", "REMOVE", "ADD", "DELETE"].contains(clause) else { throw syntaxError() }
            guard !seenClauses.contains(clause) else {
                throw .invalid(kind, "The \"\(clause)\" section can only be used once in an update expression;")
            }
            seenClauses.insert(clause)
            _ = advance()
            var first = true
            while first || current.isSymbol(",") {
                if !first { _ = advance() }
                first = false
                let path = try parsePath()
                switch clause {
                case "SET":
                    try expectSymbol("=")
                    actions.append(.set(path, try parseSetValue()))
                case "REMOVE":
                    actions.append(.remove(path))
                case "ADD":
                    actions.append(.add(path, try parseUpdateOperand()))
                default:
                    actions.append(.delete(path, try parseUpdateOperand()))
                }
            }
        }
        for i in 0..<actions.count {
            for j in (i + 1)..<max(actions.count, i + 1) where actions[i].path.overlaps(actions[j].path) {
                throw .invalid(
                    kind,
                    "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: \(actions[i].path), path two: \(actions[j].path)"
                )
            }
        }
        return actions
    }

    /// `operand [+|- operand]`.
    mutating func parseSetValue() throws(ExpressionError) -> Operand {
        let left = try parseSetOperand()
        if current.isSymbol("+") {
            _ = advance()
            return .plus(left, try parseSetOperand())
        }
        if current.isSymbol("-") {
            _ = advance()
            return .minus(left, try parseSetOperand())
        }
        return left
    }

    /// A path, a value, `if_not_exists(path, value)` or `list_append(a, b)`.
    mutating func parseSetOperand() throws(ExpressionError) -> Operand {
        if case .identifier(let name) = current.kind, tokens[position + 1].isSymbol("(") {
            switch name {
            case "if_not_exists":
                _ = advance()
                _ = advance()
                let path = try parsePath()
                try expectSymbol(",")
                let fallback = try parseSetOperand()
                try expectSymbol(")")
                return .ifNotExists(path, fallback)
            case "list_append":
                _ = advance()
                _ = advance()
                let a = try parseSetOperand()
                try expectSymbol(",")
                let b = try parseSetOperand()
                try expectSymbol(")")
                return .listAppend(a, b)
            default:
                throw .invalid(kind, "Invalid function name; function: \(name)")
            }
        }
        return try parseUpdateOperand()
    }

    /// The operand of ADD, DELETE or one side of SET arithmetic: a path or a value.
    mutating func parseUpdateOperand() throws(ExpressionError) -> Operand {
        switch current.kind {
        case .valuePlaceholder(let p):
            _ = advance()
            return .value(try attributes.value(p, kind: kind))
        case .identifier, .namePlaceholder:
            if case .identifier(let name) = current.kind, tokens[position + 1].isSymbol("(") {
                throw .invalid(kind, "Invalid function name; function: \(name)")
            }
            return .path(try parsePath())
        default:
            throw syntaxError()
        }
    }

    // MARK: Projections

    mutating func parseProjection() throws(ExpressionError) -> [AttributePath] {
        var paths = [try parsePath()]
        while current.isSymbol(",") {
            _ = advance()
            paths.append(try parsePath())
        }
        try expectEnd()
        for i in 0..<paths.count {
            for j in (i + 1)..<max(paths.count, i + 1) where paths[i].overlaps(paths[j]) {
                throw .invalid(
                    kind,
                    "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: \(paths[i]), path two: \(paths[j])"
                )
            }
        }
        return paths
    }
}
