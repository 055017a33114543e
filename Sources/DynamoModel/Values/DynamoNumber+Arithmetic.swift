extension DynamoNumber {
    /// Exact decimal sum, as UpdateExpression's `+` and ADD compute it; a result outside
    /// DynamoDB's range or precision is a ValidationException, as DynamoDB reports it.
    public func adding(_ other: DynamoNumber) throws(DynamoError) -> DynamoNumber {
        if isZero { return other }
        if other.isZero { return self }
        // As integers scaled by 10^scale: value = digits × 10^(exponent - count).
        let scaleA = exponent - digits.count
        let scaleB = other.exponent - other.digits.count
        let scale = min(scaleA, scaleB)
        let a = Self.shifted(digits, by: scaleA - scale)
        let b = Self.shifted(other.digits, by: scaleB - scale)
        var resultDigits: [UInt8]
        var negative: Bool
        if isNegative == other.isNegative {
            resultDigits = Self.add(a, b)
            negative = isNegative
        } else {
            switch Self.compareMagnitude(a, b) {
            case 0: return .zero
            case 1:
                resultDigits = Self.subtract(a, b)
                negative = isNegative
            default:
                resultDigits = Self.subtract(b, a)
                negative = other.isNegative
            }
        }
        while resultDigits.count > 1, resultDigits.first == 0 { resultDigits.removeFirst() }
        let text = (negative ? "-" : "") + String(decoding: resultDigits.map { $0 + 48 }, as: UTF8.self) + "E\(scale)"
        return try DynamoNumber(parsing: text)
    }

    public func subtracting(_ other: DynamoNumber) throws(DynamoError) -> DynamoNumber {
        try adding(other.negated)
    }

    public var negated: DynamoNumber {
        DynamoNumber(uncheckedDigits: digits, exponent: exponent, isNegative: !isNegative)
    }

    /// Big-endian digits followed by `zeros` zeros.
    static func shifted(_ digits: [UInt8], by zeros: Int) -> [UInt8] {
        digits + [UInt8](repeating: 0, count: zeros)
    }

    static func compareMagnitude(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a.count != b.count { return a.count < b.count ? -1 : 1 }
        for (x, y) in zip(a, b) where x != y { return x < y ? -1 : 1 }
        return 0
    }

    static func add(_ a: [UInt8], _ b: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        var carry: UInt8 = 0
        var i = a.count - 1
        var j = b.count - 1
        while i >= 0 || j >= 0 || carry > 0 {
            let s = (i >= 0 ? a[i] : 0) + (j >= 0 ? b[j] : 0) + carry
            result.append(s % 10)
            carry = s / 10
            i -= 1
            j -= 1
        }
        return result.reversed()
    }

    /// a - b for |a| > |b|.
    static func subtract(_ a: [UInt8], _ b: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        var borrow: Int = 0
        var i = a.count - 1
        var j = b.count - 1
        while i >= 0 {
            var d = Int(a[i]) - borrow - (j >= 0 ? Int(b[j]) : 0)
            if d < 0 {
                d += 10
                borrow = 1
            } else {
                borrow = 0
            }
            result.append(UInt8(d))
            i -= 1
            j -= 1
        }
        return result.reversed()
    }
}
