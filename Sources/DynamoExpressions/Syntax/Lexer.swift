/// Splits an expression into tokens. Attribute names are ASCII letters, digits and `_`
/// starting with a letter or `_`; anything else must use a `#name` placeholder.
struct Lexer {
    static func tokens(_ source: String, kind: ExpressionKind) throws(ExpressionError) -> [Token] {
        let chars = Array(source.unicodeScalars)
        var tokens: [Token] = []
        var i = 0
        func isNameStart(_ c: Unicode.Scalar) -> Bool {
            (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c == "_"
        }
        func isNameChar(_ c: Unicode.Scalar) -> Bool { isNameStart(c) || (c >= "0" && c <= "9") }
        func isDigit(_ c: Unicode.Scalar) -> Bool { c >= "0" && c <= "9" }
        while i < chars.count {
            let c = chars[i]
            if c == " " || c == "\t" || c == "\n" || c == "\r" {
                i += 1
                continue
            }
            let start = i
            if c == "#" || c == ":" {
                i += 1
                while i < chars.count, isNameChar(chars[i]) { i += 1 }
                let name = String(String.UnicodeScalarView(chars[(start + 1)..<i]))
                guard !name.isEmpty else {
                    throw .syntax(kind, token: String(c), near: near(chars, start))
                }
                tokens.append(Token(kind: c == "#" ? .namePlaceholder(name) : .valuePlaceholder(name), offset: start))
            } else if isNameStart(c) {
                while i < chars.count, isNameChar(chars[i]) { i += 1 }
                tokens.append(
                    Token(kind: .identifier(String(String.UnicodeScalarView(chars[start..<i]))), offset: start))
            } else if isDigit(c) {
                while i < chars.count, isDigit(chars[i]) { i += 1 }
                tokens.append(Token(kind: .integer(String(String.UnicodeScalarView(chars[start..<i]))), offset: start))
            } else {
                let two = i + 1 < chars.count ? String(c) + String(chars[i + 1]) : ""
                if two == "<>" || two == "<=" || two == ">=" {
                    tokens.append(Token(kind: .symbol(two), offset: start))
                    i += 2
                } else if "()[],.=<>+-".unicodeScalars.contains(c) {
                    tokens.append(Token(kind: .symbol(String(c)), offset: start))
                    i += 1
                } else {
                    throw .syntax(kind, token: String(c), near: near(chars, start))
                }
            }
        }
        tokens.append(Token(kind: .end, offset: chars.count))
        return tokens
    }

    /// DynamoDB's "near" context: a few characters around the offending token.
    static func near(_ chars: [Unicode.Scalar], _ offset: Int) -> String {
        let from = max(0, offset - 4)
        let to = min(chars.count, offset + 6)
        return String(String.UnicodeScalarView(chars[from..<to]))
    }
}
