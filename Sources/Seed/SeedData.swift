import DynamoModel

/// Deterministic generated data of realistic shape and size: the same profile always gives the
/// same items (a fixed-seed generator), so seeding twice writes the same table contents.
public struct SeedData {
    public enum Profile: String, CaseIterable, Sendable {
        case small, medium, large

        var scale: Int {
            switch self {
            case .small: 1
            case .medium: 10
            case .large: 100
            }
        }
    }

    public let profile: Profile
    /// A fixed seed: the same items every run (`next() % n`, not `Int.random(in:using:)`,
    /// whose algorithm the standard library does not promise to keep).
    var random = SplitMix64(seed: 0x5EED)

    public init(profile: Profile) {
        self.profile = profile
    }

    public var users: Int { 100 * profile.scale }
    public var accounts: Int { 150 * profile.scale }
    public var conversations: Int { 100 * profile.scale }
    public var messagesPerConversation: Int { 20 }
    public var jobs: Int { 60 * profile.scale }
    public var runsPerJob: Int { 10 }
    public var integrations: Int { 60 * profile.scale }
    public var analyticsEvents: Int { 3_000 * profile.scale }

    static let words = [
        "alpha", "bravo", "cache", "delta", "event", "fetch", "graph", "hover", "index", "jolly", "karma", "lemon",
        "metric", "north", "orbit", "pixel", "query", "relay", "shard", "token", "unity", "vector", "woven", "yield",
    ]
    /// 2026-01-01T00:00:00Z, so generated times do not depend on when the seed runs.
    static let epochMilliseconds: Int64 = 1_767_225_600_000

    mutating func sentence(_ words: Int) -> String {
        (0..<words).map { _ in Self.words[random.pick(0..<Self.words.count)] }.joined(separator: " ")
    }

    static func id(_ prefix: String, _ n: Int) -> String { prefix + String(format: "%06d", n) }
    static func s(_ v: String) -> AttributeValue { .s(v) }
    static func n(_ v: Int64) -> AttributeValue { .n(try! DynamoNumber(parsing: String(v))) }

    /// Every item, table by table, in write order.
    public mutating func items() -> [(table: String, item: Item)] {
        var out: [(String, Item)] = []
        let t0 = Self.epochMilliseconds
        for u in 0..<users {
            let user = Self.id("user-", u)
            let profile: Item = [
                "userId": Self.s(user), "name": Self.s("User \(u)"), "email": Self.s("user\(u)@example.com"),
                "plan": Self.s(["free", "team", "enterprise"][u % 3]), "createdAt": Self.n(t0 - Int64(u) * 3_600_000),
                "bio": Self.s(sentence(20 + random.pick(0..<40))),
            ]
            out.append(("Users", profile))
            var app = profile
            app["PK"] = Self.s("USER#\(user)")
            app["SK"] = Self.s("PROFILE")
            out.append(("App", app))
        }
        for a in 0..<accounts {
            let account = Self.id("acct-", a)
            let owner = Self.id("user-", a % users)
            out.append(
                (
                    "Accounts",
                    [
                        "accountId": Self.s(account), "ownerUserId": Self.s(owner), "name": Self.s("Account \(a)"),
                        "plan": Self.s(["free", "team", "enterprise"][a % 3]),
                        "createdAt": Self.n(t0 - Int64(a) * 60_000),
                    ]
                ))
            out.append(
                (
                    "App",
                    [
                        "PK": Self.s("USER#\(owner)"), "SK": Self.s("ACCOUNT#\(account)"),
                        "name": Self.s("Account \(a)"),
                    ]
                ))
            out.append(
                (
                    "App",
                    [
                        "PK": Self.s("ACCOUNT#\(account)"), "SK": Self.s("SETTINGS"),
                        "timezone": Self.s(["UTC", "Europe/Berlin", "America/New_York"][a % 3]),
                        "notifications": .bool(a % 2 == 0),
                    ]
                ))
        }
        for c in 0..<conversations {
            let conversation = Self.id("conv-", c)
            let account = Self.id("acct-", c % accounts)
            let title = sentence(4)
            out.append(
                (
                    "Conversations",
                    [
                        "conversationId": Self.s(conversation), "accountId": Self.s(account), "title": Self.s(title),
                        "createdAt": Self.n(t0 - Int64(c) * 600_000),
                    ]
                ))
            out.append(
                (
                    "App",
                    ["PK": Self.s("CONVERSATION#\(conversation)"), "SK": Self.s("METADATA"), "title": Self.s(title)]
                ))
            for m in 0..<messagesPerConversation {
                let sentAt = String(t0 + Int64(m) * 60_000) + "#" + Self.id("msg-", m)
                let body = sentence(10 + random.pick(0..<150))
                let author = Self.id("user-", (c + m) % users)
                out.append(
                    (
                        "Messages",
                        [
                            "conversationId": Self.s(conversation), "sentAt": Self.s(sentAt), "author": Self.s(author),
                            "body": Self.s(body), "expiresAt": Self.n(t0 / 1000 + 10 * 365 * 86_400),
                        ]
                    ))
                out.append(
                    (
                        "App",
                        [
                            "PK": Self.s("CONVERSATION#\(conversation)"), "SK": Self.s("MESSAGE#\(sentAt)"),
                            "author": Self.s(author), "body": Self.s(body),
                        ]
                    ))
            }
        }
        for j in 0..<jobs {
            let job = Self.id("job-", j)
            out.append(
                (
                    "Jobs",
                    [
                        "jobId": Self.s(job), "accountId": Self.s(Self.id("acct-", j % accounts)),
                        "name": Self.s(sentence(3)), "schedule": Self.s("*/\(5 + j % 55) * * * *"),
                        "createdAt": Self.n(t0 - Int64(j) * 86_400_000),
                    ]
                ))
            for r in 0..<runsPerJob {
                out.append(
                    (
                        "JobRuns",
                        [
                            "runId": Self.s(job + "-run-" + String(r)), "jobId": Self.s(job),
                            "startedAt": Self.n(t0 + Int64(r) * 300_000),
                            "status": Self.s(r % 7 == 6 ? "failed" : "ok"),
                            "durationMs": Self.n(Int64(100 + random.pick(0..<5_000))),
                        ]
                    ))
            }
        }
        for i in 0..<integrations {
            out.append(
                (
                    "Integrations",
                    [
                        "integrationId": Self.s(Self.id("intg-", i)),
                        "accountId": Self.s(Self.id("acct-", i % accounts)),
                        "provider": Self.s(["slack", "github", "jira", "salesforce"][i % 4]),
                        "token": Self.s(String(repeating: "t", count: 40) + String(i)), "version": Self.n(1),
                        "tokenExpiresAt": Self.n(t0 / 1000 + 3_600),
                    ]
                ))
        }
        for e in 0..<analyticsEvents {
            out.append(
                (
                    "Analytics",
                    [
                        "eventId": Self.s(Self.id("evt-", e)), "userId": Self.s(Self.id("user-", e % users)),
                        "accountId": Self.s(Self.id("acct-", e % accounts)), "at": Self.n(t0 + Int64(e) * 1_000),
                        "type": Self.s(["view", "click", "signup", "purchase"][e % 4]),
                        "value": Self.n(Int64(random.pick(0..<1_000))),
                    ]
                ))
        }
        return out
    }
}

extension SplitMix64 {
    mutating func pick(_ range: Range<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }
}
