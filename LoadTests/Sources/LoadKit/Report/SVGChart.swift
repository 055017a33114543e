import Foundation

/// A line chart as inline SVG: the report must be one self-contained file that opens anywhere
/// (a CI artifact, an email attachment), so no script and no external library draw it.
struct SVGChart {
    struct Series {
        var name: String
        /// Index into the palette: a run keeps its colour across charts.
        var color: Int
        var points: [(x: Double, y: Double)]
    }

    var title: String
    var xLabel: String
    var yLabel: String
    var logX = false
    var yMax: Double? = nil
    var yFormat: (Double) -> String = { String(format: "%g", $0) }
    var series: [Series]

    static let colors = ["#2563eb", "#dc2626", "#059669", "#d97706"]
    let width = 640.0
    let height = 300.0
    let left = 60.0
    let right = 20.0
    let top = 30.0
    let bottom = 45.0

    func render() -> String {
        let all = series.flatMap(\.points).filter { !logX || $0.x > 0 }
        guard !all.isEmpty else { return "<p>\(escape(title)): no data</p>" }
        var x0 = all.map(\.x).min()!
        var x1 = all.map(\.x).max()!
        if logX {
            x0 = pow(10, floor(log10(x0)))
            x1 = pow(10, ceil(log10(x1)))
        }
        var xStep = 1.0
        if !logX {
            x0 = min(0, x0)
            xStep = niceCeiling(max(x1 - x0, 1) / 5)
            x1 = x0 + ((x1 - x0) / xStep).rounded(.up) * xStep
        }
        if x1 <= x0 { x1 = x0 + 1 }
        let y1 = yMax ?? niceCeiling(all.map(\.y).max()!)
        let plotW = width - left - right
        let plotH = height - top - bottom
        func px(_ x: Double) -> Double {
            logX ? left + (log10(x) - log10(x0)) / (log10(x1) - log10(x0)) * plotW : left + (x - x0) / (x1 - x0) * plotW
        }
        func py(_ y: Double) -> Double { top + plotH - (y1 == 0 ? 0 : y / y1 * plotH) }
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(Int(width)) \(Int(height))" width="\(Int(width))" height="\(Int(height))" role="img" aria-label="\(escape(title))">
            <text x="\(left)" y="18" font-size="14" font-weight="bold">\(escape(title))</text>
            <rect x="\(left)" y="\(top)" width="\(plotW)" height="\(plotH)" fill="none" stroke="#999"/>

            """
        for i in 0...4 {
            let y = y1 * Double(i) / 4
            svg += "<line x1=\"\(left)\" x2=\"\(left + plotW)\" y1=\"\(f(py(y)))\" y2=\"\(f(py(y)))\" stroke=\"#eee\"/>"
            svg +=
                "<text x=\"\(left - 6)\" y=\"\(f(py(y) + 4))\" font-size=\"11\" text-anchor=\"end\">\(escape(yFormat(y)))</text>\n"
        }
        var ticks: [Double] = []
        if logX {
            var t = x0
            while t <= x1 * 1.0001 {
                ticks.append(t)
                t *= 10
            }
        } else {
            ticks = stride(from: x0, through: x1 + xStep / 2, by: xStep).map { $0 }
        }
        for t in ticks {
            svg += "<line x1=\"\(f(px(t)))\" x2=\"\(f(px(t)))\" y1=\"\(top)\" y2=\"\(top + plotH)\" stroke=\"#eee\"/>"
            svg +=
                "<text x=\"\(f(px(t)))\" y=\"\(f(top + plotH + 15))\" font-size=\"11\" text-anchor=\"middle\">\(String(format: "%g", t))</text>\n"
        }
        svg +=
            "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(height - 8))\" font-size=\"12\" text-anchor=\"middle\">\(escape(xLabel))</text>"
        svg +=
            "<text x=\"14\" y=\"\(f(top + plotH / 2))\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 14 \(f(top + plotH / 2)))\">\(escape(yLabel))</text>\n"
        for (i, s) in series.enumerated() {
            let color = Self.colors[s.color % Self.colors.count]
            let points = s.points.filter { !logX || $0.x > 0 }.map { "\(f(px($0.x))),\(f(py(min($0.y, y1))))" }
            if !points.isEmpty {
                svg +=
                    "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(points.joined(separator: " "))\"/>\n"
            }
            let ly = top + 14 + Double(i) * 16
            svg +=
                "<rect x=\"\(f(left + plotW - 150))\" y=\"\(f(ly - 9))\" width=\"10\" height=\"10\" fill=\"\(color)\"/>"
            svg += "<text x=\"\(f(left + plotW - 135))\" y=\"\(f(ly))\" font-size=\"12\">\(escape(s.name))</text>\n"
        }
        return svg + "</svg>"
    }

    func f(_ v: Double) -> String { String(format: "%.1f", v) }

    func niceCeiling(_ v: Double) -> Double {
        guard v > 0 else { return 1 }
        let magnitude = pow(10, floor(log10(v)))
        for m in [1.0, 2, 2.5, 5, 10] where m * magnitude >= v { return m * magnitude }
        return 10 * magnitude
    }
}

func escape(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
}
