import Crypto

/// The parts of an HTTP request that SigV4 covers.
public struct SignableRequest: Sendable {
    public var method: String
    /// The path as sent on the wire (already percent-encoded), e.g. `/`.
    public var path: String
    /// The raw query string without `?`, possibly empty.
    public var query: String
    /// Header names and values as sent; names are matched case-insensitively.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(
        method: String, path: String, query: String = "", headers: [(name: String, value: String)], body: [UInt8]
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }

    /// Splits a request target (`/path?query`) into path and query.
    public init(method: String, uri: String, headers: [(name: String, value: String)], body: [UInt8]) {
        if let mark = uri.firstIndex(of: "?") {
            self.init(
                method: method,
                path: String(uri[..<mark]),
                query: String(uri[uri.index(after: mark)...]),
                headers: headers,
                body: body
            )
        } else {
            self.init(method: method, path: uri, headers: headers, body: body)
        }
    }

    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name.lowercased() == lower }?.value
    }
}

/// Builds SigV4's canonical request and string to sign, the part shared by signer and verifier.
enum Canonical {
    static func request(_ request: SignableRequest, signedHeaders: [String], payloadHash: String) -> String {
        var lines: [String] = []
        lines.append(request.method)
        lines.append(uri(request.path))
        lines.append(query(request.query))
        for name in signedHeaders {
            let values = request.headers.filter { $0.name.lowercased() == name }.map { trimAll($0.value) }
            lines.append("\(name):\(values.joined(separator: ","))")
        }
        lines.append("")
        lines.append(signedHeaders.joined(separator: ";"))
        lines.append(payloadHash)
        return lines.joined(separator: "\n")
    }

    static func stringToSign(amzDate: String, scope: String, canonicalRequest: String) -> String {
        "AWS4-HMAC-SHA256\n\(amzDate)\n\(scope)\n\(hexSHA256(Array(canonicalRequest.utf8)))"
    }

    static func uri(_ path: String) -> String {
        if path.isEmpty { return "/" }
        return percentEncode(path, keepSlash: true)
    }

    static func query(_ query: String) -> String {
        if query.isEmpty { return "" }
        var pairs: [(String, String)] = []
        for part in query.split(separator: "&", omittingEmptySubsequences: true) {
            let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = percentDecode(String(kv[0]))
            let value = kv.count > 1 ? percentDecode(String(kv[1])) : ""
            pairs.append((percentEncode(key, keepSlash: false), percentEncode(value, keepSlash: false)))
        }
        pairs.sort { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }
        return pairs.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    /// Trims a header value and collapses inner runs of spaces, as SigV4 requires.
    static func trimAll(_ value: String) -> String {
        var out: [UInt8] = []
        var pendingSpace = false
        for byte in value.utf8 {
            if byte == 0x20 || byte == 0x09 {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(0x20) }
                pendingSpace = false
                out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static let hexDigits = Array("0123456789ABCDEF".utf8)

    static func percentEncode(_ s: String, keepSlash: Bool) -> String {
        var out: [UInt8] = []
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
                UInt8(ascii: "."), UInt8(ascii: "~"):
                out.append(byte)
            case UInt8(ascii: "/") where keepSlash:
                out.append(byte)
            default:
                out.append(UInt8(ascii: "%"))
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0xF)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func percentDecode(_ s: String) -> String {
        let bytes = Array(s.utf8)
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%"), i + 2 < bytes.count, let hi = hexValue(bytes[i + 1]),
                let lo = hexValue(bytes[i + 2])
            {
                out.append(hi << 4 | lo)
                i += 3
            } else if bytes[i] == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
                i += 1
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - 48
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - 87
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - 55
        default: nil
        }
    }
}

func hexSHA256(_ bytes: [UInt8]) -> String {
    hex(Array(SHA256.hash(data: bytes)))
}

func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count * 2)
    for b in bytes {
        out.append(digits[Int(b >> 4)])
        out.append(digits[Int(b & 0xF)])
    }
    return String(decoding: out, as: UTF8.self)
}

/// `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
func signingKey(secret: String, dateStamp: String, region: String, service: String) -> SymmetricKey {
    var key = SymmetricKey(data: Array(("AWS4" + secret).utf8))
    for part in [dateStamp, region, service, "aws4_request"] {
        key = SymmetricKey(data: Array(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key)))
    }
    return key
}

func signature(key: SymmetricKey, stringToSign: String) -> String {
    hex(Array(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key)))
}
