import DynamoModel

/// `/stats` as text tables, for `dynacache stats`: what the dashboard shows, in a terminal.
public enum StatsTable {
    public static func render(_ stats: JSONValue) -> String {
        func text(_ v: JSONValue?) -> String {
            switch v {
            case .number(let n)?: n
            case .string(let s)?: s
            case .bool(let b)?: b ? "yes" : "no"
            default: "-"
            }
        }
        var out = ""
        let totals = stats["totals"]
        out +=
            "hit ratio \(text(totals?["hitRatio"]))  hits \(text(totals?["hits"]))  misses \(text(totals?["misses"]))"
        out += "  upstream calls \(text(totals?["upstreamCalls"]))  redis \(text(stats["redis"]?["connected"]))"
        out += "  saved $\(text(stats["cost"]?["dollarsSaved"]))\n\n"
        var rows: [[String]] = [
            ["table / operation", "fresh", "stale", "negative", "misses", "bypass", "hit ratio", "upstream"]
        ]
        for (table, operations) in (stats["tables"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            for (operation, c) in (operations.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
                rows.append(
                    ["\(table) / \(operation)"]
                        + ["freshHits", "staleHits", "negativeHits", "misses", "bypass", "hitRatio", "upstreamCalls"]
                        .map {
                            text(c[$0])
                        })
            }
        }
        out += table(rows) + "\n"
        var hot: [[String]] = [["hot key", "requests", "hit ratio"]]
        for (table, keys) in (stats["hotKeys"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            for key in (keys.arrayValue ?? []).prefix(5) {
                hot.append(["\(table) / \(text(key["key"]))", text(key["requests"]), text(key["hitRatio"])])
            }
        }
        if hot.count > 1 { out += table(hot) + "\n" }
        if let w = stats["writes"] {
            out += "writes: client \(text(w["clientWrites"])), upstream \(text(w["upstreamWriteRequests"]))"
            out +=
                ", batches \(text(w["batches"])), coalesced \(text(w["coalesced"])), fallbacks \(text(w["fallbacks"]))\n"
        }
        for (table, s) in (stats["stream"]?["tables"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            out += "stream \(table): \(text(s["state"])), records \(text(s["recordsProcessed"]))"
            out += ", age \(text(s["lastRecordAgeSeconds"])) s, drops \(text(s["drops"]))\n"
        }
        return out
    }

    static func table(_ rows: [[String]]) -> String {
        let widths = (0..<(rows.first?.count ?? 0)).map { i in rows.map { $0[i].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                return i == 0 ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}
