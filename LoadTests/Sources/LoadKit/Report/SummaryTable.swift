import Foundation

/// The plain-text summary printed at the end of a run (and shown in the HTML page): one column
/// per endpoint, and a ratio column when two were compared.
public enum SummaryTable {
    public static func rows(_ report: LoadReport) -> [[String]] {
        let runs = report.runs
        var rows: [[String]] = [[""] + runs.map(\.label) + (report.comparison.map { ["\($0.other)/\($0.base)"] } ?? [])]
        func row(_ name: String, _ value: (EndpointResult) -> String, ratio: ((LoadReport.Comparison) -> Double)? = nil)
        {
            var r = [name] + runs.map(value)
            if let c = report.comparison { r.append(ratio.map { String(format: "%.2fx", $0(c)) } ?? "") }
            rows.append(r)
        }
        row("requests", { "\($0.requests)" })
        row("throughput (req/s)", { String(format: "%.0f", $0.throughput) }, ratio: \.throughput)
        row("p50 (ms)", { ms($0.latency.p50) }, ratio: \.p50)
        row("p90 (ms)", { ms($0.latency.p90) }, ratio: \.p90)
        row("p99 (ms)", { ms($0.latency.p99) }, ratio: \.p99)
        row("p99.9 (ms)", { ms($0.latency.p999) }, ratio: \.p999)
        row("max (ms)", { ms($0.latency.max) }, ratio: \.max)
        if runs.contains(where: { $0.serviceLatency != $0.latency }) {
            row("service p99 (ms, uncorrected)", { ms($0.serviceLatency.p99) })
        }
        row("errors", { errorText($0.errors) })
        if runs.contains(where: { !$0.expectedErrors.isEmpty }) {
            row("expected errors", { errorText($0.expectedErrors) })
        }
        row("hit ratio (x-dynacache-cache)", { $0.hitRatio.map { String(format: "%.1f%%", $0 * 100) } ?? "–" })
        if runs.contains(where: { $0.proxy != nil }) {
            row("hit ratio (proxy /stats)", { $0.proxy.map { String(format: "%.1f%%", $0.hitRatio * 100) } ?? "–" })
            row(
                "upstream calls saved (of requests the proxy saw)",
                { r in
                    r.proxy.map { "\($0.upstreamCallsSaved) (\(pct($0.upstreamCallsSaved, $0.requestsSeen)))" } ?? "–"
                })
            row(
                "writes: client → upstream",
                { $0.proxy.map { "\($0.clientWrites) → \($0.upstreamWriteRequests)" } ?? "–" })
            row("writes coalesced", { $0.proxy.map { "\($0.coalescedWrites)" } ?? "–" })
        }
        if runs.contains(where: { $0.coherence != nil }) {
            row(
                "coherence reads / writes (proxy+direct)",
                { $0.coherence.map { "\($0.reads) / \($0.proxyWrites)+\($0.directWrites)" } ?? "–" })
            row("missed proxy-acked writes", { $0.coherence.map { "\($0.missedProxyWrites)" } ?? "–" })
            row(
                "missed direct writes > bound",
                { c in c.coherence.map { "\($0.missedDirectWritesBeyondBound) (bound \(Int($0.boundMs)) ms)" } ?? "–" })
            row("max staleness seen (ms)", { $0.coherence.map { String(format: "%.1f", $0.maxStalenessMs) } ?? "–" })
        }
        return rows
    }

    public static func render(_ report: LoadReport) -> String {
        var out =
            "scenario \(report.scenario) · keys \(report.distribution) · scale x\(report.scale) · item \(report.itemSizeBytes) B\n"
        for run in report.runs {
            out += "  \(run.label): \(run.url), \(run.mode), \(String(format: "%.1f", run.seconds)) s\n"
        }
        out += text(rows(report))
        out += "\nper step (p50 / p99 ms, requests):\n"
        var stepRows: [[String]] = [["step"] + report.runs.map(\.label)]
        for (i, step) in (report.runs.first?.steps ?? []).enumerated() {
            stepRows.append(
                ["\(step.name) (\(step.operation))"]
                    + report.runs.map { r in
                        guard i < r.steps.count else { return "" }
                        let s = r.steps[i]
                        return "\(ms(s.latency.p50)) / \(ms(s.latency.p99)), \(s.requests)"
                            + (s.errors > 0 ? ", \(s.errors) err" : "")
                    })
        }
        out += text(stepRows)
        return out
    }

    static func text(_ rows: [[String]]) -> String {
        let columns = rows.map(\.count).max() ?? 0
        var widths = Array(repeating: 0, count: columns)
        for r in rows { for (i, cell) in r.enumerated() { widths[i] = max(widths[i], cell.count) } }
        return rows.map { r in
            r.enumerated().map { i, cell in
                i == 0
                    ? cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[i] - cell.count) + cell
            }
            .joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }

    static func ms(_ v: Double) -> String {
        v >= 100 ? String(format: "%.0f", v) : v >= 10 ? String(format: "%.1f", v) : String(format: "%.2f", v)
    }
    static func pct(_ a: Int, _ b: Int) -> String {
        b == 0 ? "–" : String(format: "%.0f%% of requests", Double(a) / Double(b) * 100)
    }
    static func errorText(_ errors: [String: Int]) -> String {
        errors.isEmpty
            ? "0" : errors.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    }
}
