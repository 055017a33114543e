import DynamoModel
import Foundation
import Metrics
import NIOConcurrencyHelpers
import Prometheus

/// `/metrics`: the proxy's numbers in Prometheus's text format, through swift-metrics with the
/// swift-prometheus backend (a registry per server, so tests may run several in one process).
///
/// Request latency is recorded as it happens (a swift-metrics Timer per operation and cache
/// result); everything else is read from the same snapshot `/stats` serves, at scrape time, so the
/// two never disagree: cumulative numbers become counters (incremented by what changed since the
/// last scrape), current ones gauges.
public final class MetricsExporter: Sendable {
    let registry = PrometheusCollectorRegistry()
    let factory: PrometheusMetricsFactory
    /// The last value each counter series was brought to.
    let exported = NIOLockedValueBox<[String: Double]>([:])

    public init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        let buckets: [Duration] = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .seconds(1), .seconds(3),
        ]
        factory.durationHistogramBuckets = ["dynacache_request_duration_seconds": buckets]
        self.factory = factory
    }

    func recordRequest(operation: String, result: String, nanoseconds: Int64) {
        Metrics.Timer(
            label: "dynacache_request_duration_seconds", dimensions: [("operation", operation), ("result", result)],
            factory: factory
        ).recordNanoseconds(nanoseconds)
    }

    /// Brings a counter series up to a cumulative value. A series is exported from zero, before
    /// its first event, so alerts on `rate()` and dashboards find it (Prometheus's advice).
    func counter(_ name: String, _ labels: [(String, String)], _ value: Double?) {
        guard let value else { return }
        let id = name + labels.map { "|\($0.0)=\($0.1)" }.joined()
        let delta = exported.withLockedValue { last -> Double in
            let delta = value - (last[id] ?? 0)
            if delta > 0 { last[id] = value }
            return delta
        }
        let counter = registry.makeCounter(name: name, labels: labels)
        if delta > 0 { counter.increment(by: delta) }
    }

    func gauge(_ name: String, _ labels: [(String, String)], _ value: Double?) {
        guard let value else { return }
        registry.makeGauge(name: name, labels: labels).set(value)
    }

    func render(_ stats: JSONValue) -> [UInt8] {
        func n(_ v: JSONValue?) -> Double? {
            switch v {
            case .number(let t)?: Double(t)
            case .bool(let b)?: b ? 1 : 0
            default: nil
            }
        }
        for (table, operations) in stats["tables"]?.objectValue ?? [:] {
            for (operation, c) in operations.objectValue ?? [:] {
                let labels = [("table", table), ("operation", operation)]
                for (field, result) in [
                    ("freshHits", "hit"), ("staleHits", "stale"), ("negativeHits", "negative"), ("misses", "miss"),
                    ("bypass", "bypass"),
                ] {
                    counter("dynacache_cache_requests_total", labels + [("result", result)], n(c[field]))
                }
                counter("dynacache_upstream_calls_total", labels, n(c["upstreamCalls"]))
                counter("dynacache_read_units_saved_total", labels, n(c["readUnitsSaved"]))
                gauge("dynacache_hit_ratio", labels, n(c["hitRatio"]))
            }
        }
        gauge("dynacache_redis_up", [], n(stats["redis"]?["connected"]))
        counter("dynacache_redis_errors_total", [], n(stats["redis"]?["errors"]))
        if let l1 = stats["l1"] {
            gauge("dynacache_l1_entries", [], n(l1["entries"]))
            gauge("dynacache_l1_bytes", [], n(l1["bytes"]))
            counter("dynacache_l1_hits_total", [], n(l1["hits"]))
        }
        if let w = stats["writes"] {
            counter("dynacache_client_writes_total", [], n(w["clientWrites"]))
            counter("dynacache_upstream_write_requests_total", [], n(w["upstreamWriteRequests"]))
            counter("dynacache_write_batches_total", [], n(w["batches"]))
            counter("dynacache_coalesced_writes_total", [], n(w["coalesced"]))
            counter("dynacache_write_fallbacks_total", [], n(w["fallbacks"]))
        }
        if let r = stats["retries"] {
            for (reason, count) in r["retriesByReason"]?.objectValue ?? [:] {
                counter("dynacache_retries_total", [("reason", reason)], n(count))
            }
            for (resource, count) in r["throttlesByResource"]?.objectValue ?? [:] {
                counter("dynacache_throttles_total", [("resource", resource)], n(count))
            }
            counter("dynacache_retry_deadline_exceeded_total", [], n(r["deadlineExceeded"]))
        }
        for (table, s) in stats["stream"]?["tables"]?.objectValue ?? [:] {
            counter("dynacache_stream_records_total", [("table", table)], n(s["recordsProcessed"]))
            counter("dynacache_stream_drops_total", [("table", table)], n(s["drops"]))
            gauge("dynacache_stream_record_age_seconds", [("table", table)], n(s["lastRecordAgeSeconds"]))
            gauge("dynacache_stream_reading", [("table", table)], s["state"] == .string("reading") ? 1 : 0)
        }
        for (table, c) in stats["cost"]?["tables"]?.objectValue ?? [:] {
            gauge("dynacache_cost_saved_dollars", [("table", table)], n(c["dollarsSaved"]))
        }
        return registry.emitToBuffer()
    }
}
