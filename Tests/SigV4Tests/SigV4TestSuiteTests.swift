import Testing

@testable import SigV4

/// Cases from the AWS Signature Version 4 test suite (AWS General Reference): credentials
/// AKIDEXAMPLE / wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, region us-east-1, service `service`,
/// signed at 2015-08-30T12:36:00Z.
struct SigV4TestSuiteTests {
    static let date = AmzDate(amzDate: "20150830T123600Z")!
    static let credentials = Credentials(
        accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    static let scope = "Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request"
    static let stsToken =
        "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="

    struct Vector: Sendable, CustomTestStringConvertible {
        var name: String
        var method: String
        var uri: String
        var headers: [(name: String, value: String)]
        var sessionToken: String? = nil
        var signedHeaders: String
        var signature: String
        var testDescription: String { name }
    }

    static let vectors: [Vector] = [
        Vector(
            name: "get-vanilla", method: "GET", uri: "/", headers: [("Host", "example.amazonaws.com")],
            signedHeaders: "host;x-amz-date",
            signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        ),
        Vector(
            name: "post-vanilla", method: "POST", uri: "/", headers: [("Host", "example.amazonaws.com")],
            signedHeaders: "host;x-amz-date",
            signature: "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"
        ),
        Vector(
            name: "get-vanilla-query-order-key-case", method: "GET", uri: "/?Param2=value2&Param1=value1",
            headers: [("Host", "example.amazonaws.com")],
            signedHeaders: "host;x-amz-date",
            signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"
        ),
        Vector(
            name: "post-header-value-case", method: "POST", uri: "/",
            headers: [("Host", "example.amazonaws.com"), ("My-Header1", "VALUE1")],
            signedHeaders: "host;my-header1;x-amz-date",
            signature: "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"
        ),
        Vector(
            name: "get-header-value-trim", method: "GET", uri: "/",
            headers: [("Host", "example.amazonaws.com"), ("My-Header1", " value1"), ("My-Header2", " \"a   b   c\"")],
            signedHeaders: "host;my-header1;my-header2;x-amz-date",
            signature: "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"
        ),
        Vector(
            name: "get-unreserved", method: "GET",
            uri: "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
            headers: [("Host", "example.amazonaws.com")],
            signedHeaders: "host;x-amz-date",
            signature: "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"
        ),
        Vector(
            name: "post-sts-header-before", method: "POST", uri: "/", headers: [("Host", "example.amazonaws.com")],
            sessionToken: stsToken, signedHeaders: "host;x-amz-date;x-amz-security-token",
            signature: "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"
        ),
    ]

    @Test(arguments: vectors)
    func signerProducesTheSuiteSignature(_ vector: Vector) {
        var credentials = Self.credentials
        credentials.sessionToken = vector.sessionToken
        let signer = Signer(credentials: credentials, region: "us-east-1", service: "service")
        let request = SignableRequest(method: vector.method, uri: vector.uri, headers: vector.headers, body: [])
        let added = signer.sign(request, date: Self.date)
        let authorization = added.first { $0.name == "authorization" }?.value
        #expect(
            authorization
                == "AWS4-HMAC-SHA256 \(Self.scope), SignedHeaders=\(vector.signedHeaders), Signature=\(vector.signature)"
        )
        #expect(added.contains { $0.name == "x-amz-date" && $0.value == "20150830T123600Z" })
    }

    @Test(arguments: vectors)
    func verifierAcceptsTheSuiteSignature(_ vector: Vector) throws {
        var headers = vector.headers
        headers.append(("X-Amz-Date", "20150830T123600Z"))
        if let token = vector.sessionToken { headers.append(("X-Amz-Security-Token", token)) }
        headers.append(
            (
                "Authorization",
                "AWS4-HMAC-SHA256 \(Self.scope), SignedHeaders=\(vector.signedHeaders), Signature=\(vector.signature)"
            ))
        let verifier = SignatureVerifier(secrets: ["AKIDEXAMPLE": Self.credentials.secretAccessKey], service: "service")
        let request = SignableRequest(method: vector.method, uri: vector.uri, headers: headers, body: [])
        #expect(try verifier.verify(request, now: Self.date) == "AKIDEXAMPLE")
    }

    @Test func signingKeyDerivationMatchesTheDocumentedExample() {
        // The AWS General Reference's example: secret wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY,
        // 20120215, us-east-1, iam.
        let key = signingKey(
            secret: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", dateStamp: "20120215", region: "us-east-1",
            service: "iam")
        let bytes = key.withUnsafeBytes { Array($0) }
        #expect(hex(bytes) == "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d")
    }
}
