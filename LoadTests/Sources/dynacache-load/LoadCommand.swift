import ArgumentParser
import Foundation
import LoadKit
import SigV4

/// `dynacache-load`: replays the seed's access patterns against any DynamoDB endpoint (the
/// proxy, the table store, real DynamoDB), or two back to back with `--compare`, and writes a
/// summary, a JSON report and an HTML page.
@main
struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dynacache-load",
        abstract: "Load runs against a DynamoDB endpoint, with reports and a coherence check.",
        discussion: """
            Scenarios are YAML files in --scenario-dir (LoadTests/scenarios); mix them by weight with
            repeated --scenario NAME:WEIGHT. Run `dynacache seed` first: the scenarios read its tables.
            """
    )

    @Option(name: .long, help: "Scenario name or file, NAME[:WEIGHT]; repeat to mix.")
    var scenario: [String] = []

    @Option(help: "Where scenario names are looked up.")
    var scenarioDir = "LoadTests/scenarios"

    @Flag(help: "List the scenarios and exit.")
    var list = false

    @Option(help: "The endpoint: URL or LABEL=URL.")
    var endpoint = "proxy=http://127.0.0.1:8000"

    @Option(parsing: .upToNextOption, help: "Run against two endpoints back to back (LABEL=URL each); ratios are B/A.")
    var compare: [String] = []

    @Option(help: "The proxy's admin listener for /stats: URL, or LABEL=URL with --compare (repeatable).")
    var admin: [String] = []

    @Option(help: "Bearer token for the admin listener (or DYNACACHE_ADMIN_TOKEN).")
    var adminToken: String?

    @Option(help: "Seed profile the tables were filled with: small, medium, large.")
    var profile = "small"

    @Option(help: "Key popularity: uniform, zipf[:S] (default S 0.99), hot:N.")
    var keys = "zipf:0.99"

    @Option(help: "Share of writes (0…1), rescaling the scenario's read and write steps.")
    var writeShare: Double?

    @Option(help: "Bytes of ${payload} in written items.")
    var itemSize = 256

    @Option(help: "Measured time (30s, 2m); ignored with --requests.")
    var duration = "30s"

    @Option(help: "Stop after this many requests instead of a duration.")
    var requests: Int?

    @Option(help: "Unrecorded warm-up before measuring (e.g. 5s).")
    var warmup = "0s"

    @Option(help: "Closed loop: workers. Open loop: most requests in flight.")
    var concurrency = 16

    @Option(help: "Open loop: requests per second (latency counted from when each was due).")
    var rate: Double?

    @Flag(help: "Run the coherence check beside the load (needs --direct).")
    var coherence = false

    @Option(help: "The table store behind the proxy, for the coherence check's direct writes.")
    var direct: String?

    @Option(help: "Coherence: how old a missed direct write may be (stream lag bound).")
    var bound = "1s"

    @Option(help: "Coherence: keys written and read.")
    var coherenceKeys = 64

    @Option(help: "Write report.json and report.html here.")
    var report: String?

    @Option(help: "Signing region (AWS_REGION, else us-east-1).")
    var region: String?

    @Option(help: "Seed of the generator's random picks.")
    var seed: UInt64 = 1

    mutating func run() async throws {
        let library = ScenarioLibrary(directory: scenarioDir)
        if list {
            for name in library.names() {
                let s = try? library.load(name)
                print("\(name)\(s.map { $0.description.isEmpty ? "" : ": \($0.description)" } ?? "")")
            }
            return
        }
        let scales = ["small": 1, "medium": 10, "large": 100]
        guard let scale = scales[profile] else { throw ValidationError("--profile: small, medium or large") }
        guard let distribution = KeyDistribution(parsing: keys) else {
            throw ValidationError("--keys: uniform, zipf[:S] or hot:N, not \(keys)")
        }
        var scenario = try library.load(specs: self.scenario.isEmpty ? ["default"] : self.scenario)
        if let writeShare {
            guard (0...1).contains(writeShare) else { throw ValidationError("--write-share: 0…1") }
            scenario = try scenario.withWriteShare(writeShare)
        }
        let workload = try Workload(
            scenario: scenario, distribution: distribution, scale: scale, itemSizeBytes: itemSize)

        var settings = RunSettings()
        settings.concurrency = concurrency
        settings.rate = rate
        settings.requests = requests
        settings.durationSeconds = requests == nil ? try seconds(duration, "--duration") : nil
        settings.warmupSeconds = try seconds(warmup, "--warmup")
        settings.seed = seed
        guard concurrency > 0 else { throw ValidationError("--concurrency must be positive") }
        if let rate, rate <= 0 { throw ValidationError("--rate must be positive") }

        let specs = compare.isEmpty ? [endpoint] : compare
        guard compare.isEmpty || compare.count == 2 else { throw ValidationError("--compare takes two endpoints") }
        var targets = try specs.map { spec in
            guard let t = LoadSession.Target(spec: spec) else { throw ValidationError("not an endpoint: \(spec)") }
            return t
        }
        for spec in admin {
            guard let t = LoadSession.Target(spec: spec) else { throw ValidationError("--admin: not a URL: \(spec)") }
            let labeled = spec.firstIndex(of: "=").map { !spec[..<$0].contains(":") } ?? false
            if labeled, let i = targets.firstIndex(where: { $0.label == t.label }) {
                targets[i].adminURL = t.url
            } else if targets.count == 1 {
                targets[0].adminURL = t.url
            } else {
                throw ValidationError("--admin \(spec): with --compare, name the endpoint (LABEL=URL)")
            }
        }
        var coherenceSettings: CoherenceChecker.Settings? = nil
        if coherence {
            guard coherenceKeys > 0 else { throw ValidationError("--coherence-keys must be positive") }
            guard direct != nil else { throw ValidationError("--coherence needs --direct URL (the table store)") }
            var c = CoherenceChecker.Settings()
            c.boundMs = try seconds(bound, "--bound") * 1_000
            c.keys = coherenceKeys
            coherenceSettings = c
        }
        let environment = ProcessInfo.processInfo.environment
        let session = LoadSession(
            workload: workload, settings: settings, targets: targets,
            adminToken: adminToken ?? environment["DYNACACHE_ADMIN_TOKEN"], directURL: direct,
            coherence: coherenceSettings,
            region: region ?? environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"] ?? "us-east-1",
            credentials: Credentials.fromEnvironment(environment)
                ?? Credentials(accessKeyId: "dynacache-load", secretAccessKey: "dynacache-load"))

        let interactive = isatty(STDERR_FILENO) == 1
        let lastLine = LastLine()
        let results = try await session.run { line in
            lastLine.show(line, interactive: interactive)
        }
        lastLine.finish(interactive: interactive)
        let loadReport = LoadReport(
            scenario: scenario, distribution: distribution, scale: scale, itemSizeBytes: itemSize, runs: results)
        print(SummaryTable.render(loadReport), terminator: "")
        if let report {
            try loadReport.write(to: report)
            print("report: \(report)/report.html, \(report)/report.json")
        }
        if results.contains(where: { $0.coherence.map { !$0.passed } ?? false }) {
            FileHandle.standardError.write(Data("dynacache-load: coherence check failed\n".utf8))
            throw ExitCode(3)
        }
    }

    func seconds(_ text: String, _ flag: String) throws -> Double {
        guard let s = RunSettings.seconds(parsing: text) else {
            throw ValidationError("\(flag): a duration like 30s, not \(text)")
        }
        return s
    }
}

/// The progress line: rewritten in place on a terminal; in a log, each endpoint's first line
/// and then one every 5 s (and every coherence message).
final class LastLine: @unchecked Sendable {
    let lock = NSLock()
    var ticks: [Substring: Int] = [:]

    func show(_ line: String, interactive: Bool) {
        lock.lock()
        defer { lock.unlock() }
        if interactive {
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
            return
        }
        if line.contains("coherence") {
            FileHandle.standardError.write(Data((line + "\n").utf8))
            return
        }
        let label = line.prefix { $0 != "]" }
        let n = ticks[label, default: 0] + 1
        ticks[label] = n
        if n == 1 || n % 5 == 0 { FileHandle.standardError.write(Data((line + "\n").utf8)) }
    }

    func finish(interactive: Bool) {
        if interactive { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
