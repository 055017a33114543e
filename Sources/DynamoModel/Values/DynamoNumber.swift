/// A DynamoDB number: up to 38 significant decimal digits, magnitude between 1E-130 and
/// 9.9999999999999999999999999999999999999E+125, or zero.
///
/// DynamoDB treats `1`, `1.0`, `1E0`, `01` and `+1` as the same number: in a key they name the
/// same item. So a number is held normalized — sign, significant digits without leading or
/// trailing zeros, and a decimal exponent — and never passes through `Double`, which would lose
/// digits past the 15th.
public struct DynamoNumber: Sendable, Hashable {
    /// Significant digits, each 0...9, no leading or trailing zeros; empty for zero.
    public let digits: [UInt8]
    /// The value is `0.d1d2…dn × 10^exponent`; 0 for zero.
    public let exponent: Int
    /// Never true for zero.
    public let isNegative: Bool

    public static let maximumDigits = 38
    /// 10^126 is the first magnitude DynamoDB refuses (`0.1 × 10^127`).
    public static let maximumExponent = 126
    /// 1E-130 (`0.1 × 10^-129`) is the smallest magnitude DynamoDB accepts.
    public static let minimumExponent = -129

    public var isZero: Bool { digits.isEmpty }

    public static let zero = DynamoNumber(uncheckedDigits: [], exponent: 0, isNegative: false)

    init(uncheckedDigits digits: [UInt8], exponent: Int, isNegative: Bool) {
        self.digits = digits
        self.exponent = digits.isEmpty ? 0 : exponent
        self.isNegative = digits.isEmpty ? false : isNegative
    }

    /// Parses a number as DynamoDB accepts it in an `N` value, with DynamoDB's validation errors.
    public init(parsing text: String) throws(DynamoError) {
        var bytes = Array(text.utf8)[...]
        var negative = false
        if let first = bytes.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            bytes = bytes.dropFirst()
        }
        var mantissa: [UInt8] = []
        var integerDigits = 0
        var sawPoint = false
        var sawDigit = false
        while let byte = bytes.first {
            if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                mantissa.append(byte - UInt8(ascii: "0"))
                if !sawPoint { integerDigits += 1 }
                sawDigit = true
            } else if byte == UInt8(ascii: ".") && !sawPoint {
                sawPoint = true
            } else {
                break
            }
            bytes = bytes.dropFirst()
        }
        guard sawDigit else { throw Self.invalid(text) }
        var exponentValue = 0
        var exponentOverflow = false
        if let byte = bytes.first, byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            bytes = bytes.dropFirst()
            var exponentNegative = false
            if let sign = bytes.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") {
                exponentNegative = sign == UInt8(ascii: "-")
                bytes = bytes.dropFirst()
            }
            guard !bytes.isEmpty else { throw Self.invalid(text) }
            for byte in bytes {
                guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { throw Self.invalid(text) }
                if exponentValue < 1_000_000 {
                    exponentValue = exponentValue * 10 + Int(byte - UInt8(ascii: "0"))
                } else {
                    exponentOverflow = true
                }
            }
            if exponentNegative { exponentValue = -exponentValue }
            if exponentOverflow { exponentValue = exponentNegative ? -10_000_000 : 10_000_000 }
            bytes = bytes[bytes.endIndex...]
        }
        guard bytes.isEmpty else { throw Self.invalid(text) }

        var pointPosition = integerDigits
        var leading = 0
        while leading < mantissa.count, mantissa[leading] == 0 { leading += 1 }
        if leading == mantissa.count {
            self = .zero
            return
        }
        pointPosition -= leading
        var trailing = mantissa.count
        while trailing > leading, mantissa[trailing - 1] == 0 { trailing -= 1 }
        let significant = Array(mantissa[leading..<trailing])
        let exponent = pointPosition + exponentValue
        guard significant.count <= Self.maximumDigits else {
            throw DynamoError.validation("Attempting to store more than 38 significant digits in a Number")
        }
        guard exponent <= Self.maximumExponent else {
            throw DynamoError.validation(
                "Number overflow. Attempting to store a number with magnitude larger than supported range"
            )
        }
        guard exponent >= Self.minimumExponent else {
            throw DynamoError.validation(
                "Number underflow. Attempting to store a number with magnitude smaller than supported range"
            )
        }
        self.init(uncheckedDigits: significant, exponent: exponent, isNegative: negative)
    }

    static func invalid(_ text: String) -> DynamoError {
        .validation("The parameter cannot be converted to a numeric value: \(text)")
    }
}

extension DynamoNumber: CustomStringConvertible {
    /// The normalized text in plain notation (`100`, `0.001`, `-1.5`), the form DynamoDB
    /// returns: no exponent, no leading or trailing zeros.
    public var description: String {
        if isZero { return "0" }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count + 4)
        if isNegative { out.append(UInt8(ascii: "-")) }
        let ascii = digits.map { $0 + UInt8(ascii: "0") }
        if exponent <= 0 {
            out.append(UInt8(ascii: "0"))
            out.append(UInt8(ascii: "."))
            out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: -exponent))
            out.append(contentsOf: ascii)
        } else if exponent >= ascii.count {
            out.append(contentsOf: ascii)
            out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: exponent - ascii.count))
        } else {
            out.append(contentsOf: ascii[..<exponent])
            out.append(UInt8(ascii: "."))
            out.append(contentsOf: ascii[exponent...])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension DynamoNumber: Comparable {
    public static func < (lhs: DynamoNumber, rhs: DynamoNumber) -> Bool {
        lhs.orderedBytes.lexicographicallyPrecedes(rhs.orderedBytes)
    }
}

extension DynamoNumber {
    /// Bytes whose unsigned lexicographic order is the numeric order, so a SQLite BLOB column or
    /// a sorted Redis structure orders numbers correctly with `memcmp`.
    ///
    /// Layout: a class byte (1 negative, 2 zero, 3 positive); for a positive number the exponent
    /// biased by 0x8000 as two big-endian bytes, each digit plus one, then a 0 terminator (so
    /// `0.12` sorts before `0.123`); a negative number stores the bitwise complement of its
    /// magnitude's bytes, which reverses their order.
    public var orderedBytes: [UInt8] {
        if isZero { return [2] }
        var magnitude: [UInt8] = []
        magnitude.reserveCapacity(digits.count + 3)
        let biased = UInt16(truncatingIfNeeded: exponent + 0x8000)
        magnitude.append(UInt8(biased >> 8))
        magnitude.append(UInt8(biased & 0xFF))
        for digit in digits { magnitude.append(digit + 1) }
        magnitude.append(0)
        if isNegative {
            return [1] + magnitude.map { ~$0 }
        }
        return [3] + magnitude
    }
}
