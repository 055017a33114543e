import Foundation

/// The report as one HTML page with everything inline (styles, SVG charts, the summary table):
/// latency CDF, throughput and hit ratio over time, per-step figures.
public enum HTMLReport {
    public static func render(_ report: LoadReport) -> String {
        let cdf = SVGChart(
            title: "Latency CDF", xLabel: "latency (ms, log scale)", yLabel: "fraction of requests", logX: true,
            yMax: 1, yFormat: { String(format: "%.2f", $0) },
            series: report.runs.enumerated().map { i, r in
                .init(name: r.label, color: i, points: r.cdf.map { ($0[0], $0[1]) })
            })
        let throughput = SVGChart(
            title: "Throughput over time", xLabel: "seconds", yLabel: "requests / s",
            series: report.runs.enumerated().map { i, r in
                .init(
                    name: r.label, color: i,
                    points: r.timeline.enumerated().map { (Double($0.offset), Double($0.element.requests)) })
            })
        let hits = SVGChart(
            title: "Hit ratio over time (x-dynacache-cache)", xLabel: "seconds", yLabel: "hit ratio", yMax: 1,
            yFormat: { String(format: "%.0f%%", $0 * 100) },
            series: report.runs.enumerated().filter { $0.element.hitRatio != nil }.map { i, r in
                .init(
                    name: r.label, color: i,
                    points: r.timeline.enumerated().compactMap { i, b in
                        b.cacheLookups == 0 ? nil : (Double(i), Double(b.cacheServed) / Double(b.cacheLookups))
                    })
            })
        let rows = SummaryTable.rows(report)
        var table = "<table>"
        for (i, row) in rows.enumerated() {
            let tag = i == 0 ? "th" : "td"
            table += "<tr>" + row.map { "<\(tag)>\(escape($0))</\(tag)>" }.joined() + "</tr>\n"
        }
        table += "</table>"
        var steps = "<table><tr><th>step</th><th>operation</th><th>share</th>"
        steps +=
            report.runs.map { "<th>\(escape($0.label)) p50 / p99 ms</th><th>requests</th><th>errors</th>" }.joined()
            + "</tr>\n"
        for (i, m) in report.mix.enumerated() {
            steps +=
                "<tr><td>\(escape(m.step))</td><td>\(escape(m.operation))</td><td>\(String(format: "%.1f%%", m.share * 100))</td>"
            for r in report.runs where i < r.steps.count {
                let s = r.steps[i]
                steps +=
                    "<td>\(SummaryTable.ms(s.latency.p50)) / \(SummaryTable.ms(s.latency.p99))</td><td>\(s.requests)</td>"
                steps += "<td>\(s.errors)\(s.expectedErrors > 0 ? " (+\(s.expectedErrors) expected)" : "")</td>"
            }
            steps += "</tr>\n"
        }
        steps += "</table>"
        let runs = report.runs.map {
            "<li><b>\(escape($0.label))</b>: \(escape($0.url)) — \(escape($0.mode)), \(String(format: "%.1f", $0.seconds)) s</li>"
        }.joined()
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">
            <title>DynaCache load report: \(escape(report.scenario))</title>
            <style>
            body { font-family: system-ui, sans-serif; margin: 2em; color: #111; max-width: 1400px; }
            table { border-collapse: collapse; margin: 1em 0; }
            td, th { border: 1px solid #ccc; padding: 4px 10px; text-align: right; font-variant-numeric: tabular-nums; }
            td:first-child, th:first-child { text-align: left; }
            .charts { display: flex; flex-wrap: wrap; gap: 1em; }
            </style></head><body>
            <h1>Load report: \(escape(report.scenario))</h1>
            <p>\(escape(report.description))</p>
            <p>Generated \(escape(report.generatedAt)) · keys \(escape(report.distribution)) · seed scale x\(report.scale) · item size \(report.itemSizeBytes) B</p>
            <ul>\(runs)</ul>
            <h2>Summary</h2>
            \(table)
            <div class="charts">
            \(cdf.render())
            \(throughput.render())
            \(hits.render())
            </div>
            <h2>Steps</h2>
            \(steps)
            <p>Latency in an open loop counts from when a request was due (coordinated omission corrected); the
            uncorrected service time is in report.json. Ratios are the second endpoint over the first.</p>
            </body></html>

            """
    }
}
