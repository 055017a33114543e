import Testing

@testable import SigV4

/// A GetItem that boto3 1.43 (botocore's SigV4Auth) signed for 127.0.0.1:8000 at
/// 2026-11-26T12:00:00Z, captured byte for byte: the verifier must accept exactly this and
/// refuse any change to it.
struct Boto3SignedRequestTests {
    static let body = Array(#"{"TableName": "Orders", "Key": {"customer": {"S": "c1"}, "order": {"N": "3"}}}"#.utf8)
    static let headers: [(name: String, value: String)] = [
        ("Host", "127.0.0.1:8000"),
        ("Content-Type", "application/x-amz-json-1.0"),
        ("X-Amz-Target", "DynamoDB_20120810.GetItem"),
        ("User-Agent", "Boto3/1.43.11 md/Botocore#1.43.11"),
        ("X-Amz-Date", "20261126T120000Z"),
        (
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDCLIENT/20261126/eu-west-1/dynamodb/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=d5b3f29df2c1859ded5834ac5e9a12fe338cffaf5ec95c8a88a807393391ef23"
        ),
    ]
    static let now = AmzDate(amzDate: "20261126T120130Z")!
    let verifier = SignatureVerifier(secrets: ["AKIDCLIENT": "client-secret-key"])

    func request(headers: [(name: String, value: String)] = headers, body: [UInt8] = body) -> SignableRequest {
        SignableRequest(method: "POST", uri: "/", headers: headers, body: body)
    }

    @Test func acceptsTheRequestAsBoto3SignedIt() throws {
        #expect(try verifier.verify(request(), now: Self.now) == "AKIDCLIENT")
    }

    @Test func headerNameCaseDoesNotMatter() throws {
        let lowered = Self.headers.map { ($0.name.lowercased(), $0.value) }
        #expect(try verifier.verify(request(headers: lowered), now: Self.now) == "AKIDCLIENT")
    }

    @Test func refusesAChangedBody() {
        var body = Self.body
        body[body.count - 4] = UInt8(ascii: "4")
        #expect(throws: SignatureFailure.mismatch) { try verifier.verify(request(body: body), now: Self.now) }
    }

    @Test func refusesAChangedSignedHeader() {
        let headers = Self.headers.map { $0.name == "X-Amz-Target" ? ($0.name, "DynamoDB_20120810.DeleteItem") : $0 }
        #expect(throws: SignatureFailure.mismatch) { try verifier.verify(request(headers: headers), now: Self.now) }
    }

    @Test func ignoresUnsignedHeaders() throws {
        var headers = Self.headers
        headers.append(("X-Forwarded-For", "10.0.0.1"))
        #expect(try verifier.verify(request(headers: headers), now: Self.now) == "AKIDCLIENT")
    }

    @Test func refusesAWrongSecretAndAnUnknownKey() {
        let wrong = SignatureVerifier(secrets: ["AKIDCLIENT": "another-secret"])
        #expect(throws: SignatureFailure.mismatch) { try wrong.verify(request(), now: Self.now) }
        let stranger = SignatureVerifier(secrets: ["AKIDOTHER": "client-secret-key"])
        #expect(throws: SignatureFailure.unknownAccessKey("AKIDCLIENT")) {
            try stranger.verify(request(), now: Self.now)
        }
    }

    @Test func refusesOldAndFutureSignatures() {
        let late = AmzDate(secondsSince1970: Self.now.secondsSince1970 + 600)
        #expect {
            try verifier.verify(request(), now: late)
        } throws: { error in
            guard case .expired(let message) = error as? SignatureFailure else { return false }
            return message.hasPrefix("Signature expired: 20261126T120000Z is now earlier than")
        }
        let early = AmzDate(secondsSince1970: Self.now.secondsSince1970 - 900)
        #expect {
            try verifier.verify(request(), now: early)
        } throws: { error in
            guard case .expired(let message) = error as? SignatureFailure else { return false }
            return message.hasPrefix("Signature not yet current")
        }
    }

    @Test func refusesMissingAndMalformedAuthorization() {
        let none = Self.headers.filter { $0.name != "Authorization" }
        #expect(throws: SignatureFailure.missing) { try verifier.verify(request(headers: none), now: Self.now) }
        for bad in [
            "Basic abc", "AWS4-HMAC-SHA256 Credential=AKIDCLIENT", "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=00",
        ] {
            let headers = none + [("Authorization", bad)]
            #expect {
                try verifier.verify(request(headers: headers), now: Self.now)
            } throws: { error in
                if case .incomplete = error as? SignatureFailure { return true }
                return false
            }
        }
    }

    @Test func signerAndVerifierAgree() throws {
        let signer = Signer(
            credentials: Credentials(accessKeyId: "AKIDCLIENT", secretAccessKey: "client-secret-key"),
            region: "eu-west-1")
        let base: [(name: String, value: String)] = [
            ("host", "proxy:8000"), ("x-amz-target", "DynamoDB_20120810.Query"),
        ]
        let signed =
            base
            + signer.sign(SignableRequest(method: "POST", path: "/", headers: base, body: Self.body), date: Self.now)
        #expect(try verifier.verify(request(headers: signed), now: Self.now) == "AKIDCLIENT")
    }
}

struct AmzDateTests {
    @Test func roundTripsAndFormats() {
        let date = AmzDate(amzDate: "20150830T123600Z")!
        #expect(date.secondsSince1970 == 1_440_938_160)
        #expect(date.amzDate == "20150830T123600Z")
        #expect(date.dateStamp == "20150830")
        #expect(AmzDate(secondsSince1970: 951_782_400).amzDate == "20000229T000000Z")
        #expect(AmzDate(secondsSince1970: 0).amzDate == "19700101T000000Z")
    }

    @Test func refusesMalformedDates() {
        for bad in ["", "20150830", "20150830T123600", "2015-08-30T12:36:00Z", "20151330T123600Z", "2015083aT123600Z"] {
            #expect(AmzDate(amzDate: bad) == nil)
        }
    }
}

/// The proxy's outgoing signature for a DynamoDB call with temporary credentials equals what
/// botocore 1.43's SigV4Auth produced for the same request at the same instant.
struct SignerMatchesBotocoreTests {
    @Test func signsAsBotocoreDoes() {
        let signer = Signer(
            credentials: Credentials(
                accessKeyId: "AKIDPROXY", secretAccessKey: "proxy-secret", sessionToken: "SESSIONTOKEN/abc+="),
            region: "eu-west-1"
        )
        let headers: [(name: String, value: String)] = [
            ("host", "dynamodb.eu-west-1.amazonaws.com"),
            ("content-type", "application/x-amz-json-1.0"),
            ("x-amz-target", "DynamoDB_20120810.GetItem"),
        ]
        let body = Array(#"{"TableName":"Orders","Key":{"customer":{"S":"c1"}}}"#.utf8)
        let added = signer.sign(
            SignableRequest(method: "POST", path: "/", headers: headers, body: body),
            date: AmzDate(amzDate: "20261126T120000Z")!
        )
        #expect(added.first { $0.name == "x-amz-security-token" }?.value == "SESSIONTOKEN/abc+=")
        #expect(
            added.first { $0.name == "authorization" }?.value
                == "AWS4-HMAC-SHA256 Credential=AKIDPROXY/20261126/eu-west-1/dynamodb/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, Signature=363f4c3fefae3d225ad56f2054662427d01ecf033c39f608f5f873f31dd724c7"
        )
    }
}
