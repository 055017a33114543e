/// One lexical token of a DynamoDB expression, with where it starts (for error messages).
struct Token: Equatable, Sendable {
    enum Kind: Equatable, Sendable {
        /// A bare attribute name or keyword (`status`, `AND`, `SET`, `size`).
        case identifier(String)
        /// `#name`: a placeholder from ExpressionAttributeNames.
        case namePlaceholder(String)
        /// `:value`: a placeholder from ExpressionAttributeValues.
        case valuePlaceholder(String)
        /// Digits, used only inside list indexes `[3]`.
        case integer(String)
        case symbol(String)
        case end
    }

    var kind: Kind
    var offset: Int

    /// The token as DynamoDB quotes it in "Syntax error; token: ..." messages.
    var text: String {
        switch kind {
        case .identifier(let s), .integer(let s), .symbol(let s): s
        case .namePlaceholder(let s): "#" + s
        case .valuePlaceholder(let s): ":" + s
        case .end: "<EOF>"
        }
    }

    func isKeyword(_ word: String) -> Bool {
        if case .identifier(let s) = kind { return s.uppercased() == word }
        return false
    }

    func isSymbol(_ s: String) -> Bool { kind == .symbol(s) }
}
