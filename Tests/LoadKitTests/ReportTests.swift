import DynamoModel
import Foundation
import Testing

@testable import LoadKit

@Suite struct ReportTests {
    func result(label: String, scale: UInt64, cache: Bool) -> EndpointResult {
        let steps = [
            Scenario.Step(
                name: "get", weight: 1, operation: "GetItem", request: RequestTemplate(.object([:])), pages: 1,
                expectedErrors: []),
            Scenario.Step(
                name: "update", weight: 1, operation: "UpdateItem", request: RequestTemplate(.object([:])), pages: 1,
                expectedErrors: ["ConditionalCheckFailedException"]),
        ]
        let recorder = Recorder(steps: 2, startNanos: 0)
        for i in 1...1_000 {
            let latency = UInt64(i) * 1_000 * scale  // 1 µs … 1 ms, times scale
            recorder.record(
                .init(
                    step: i % 2, latencyNanos: latency, serviceNanos: latency, endNanos: UInt64(i) * 3_000_000,
                    errorType: i % 100 == 0
                        ? (i % 200 == 0 ? "ConditionalCheckFailedException" : "ThrottlingException") : nil,
                    expected: i % 200 == 0, cache: cache ? (i % 4 == 0 ? "miss" : "hit") : nil))
        }
        return EndpointResult(
            label: label, url: "http://x", mode: "closed loop, 1 workers", state: recorder.snapshot(), seconds: 3,
            steps: steps, proxy: nil, coherence: nil)
    }

    @Test func percentilesErrorsAndTimelineComeFromTheRecording() {
        let r = result(label: "a", scale: 1, cache: true)
        #expect(r.requests == 1_000)
        #expect(abs(r.latency.p50 - 0.5) < 0.01)
        #expect(abs(r.latency.p99 - 0.99) < 0.01)
        #expect(abs(r.latency.max - 1.0) < 0.01)
        #expect(r.errors == ["ThrottlingException": 5])
        #expect(r.expectedErrors == ["ConditionalCheckFailedException": 5])
        #expect(r.steps[0].requests == 500 && r.steps[0].expectedErrors == 5 && r.steps[0].errors == 5)
        // Three whole seconds; the answer at exactly 3.000 s opens a partial fourth, left out.
        #expect(r.timeline.count == 3)
        #expect(r.timeline.reduce(0) { $0 + $1.requests } == 999)
        #expect(r.timeline[0].cacheLookups == 333 && r.timeline[0].cacheServed == 250)
        #expect(r.hitRatio == 0.75)
        #expect(r.cdf.last?[1] == 1)
        #expect(r.cdf.map { $0[0] } == r.cdf.map { $0[0] }.sorted())
    }

    @Test func comparisonIsTheSecondOverTheFirstAndThePageIsSelfContained() throws {
        let base = result(label: "store", scale: 10, cache: false)
        let proxy = result(label: "proxy", scale: 1, cache: true)
        let scenario = Scenario(name: "t", keys: [:], steps: [])
        let report = LoadReport(
            scenario: scenario, distribution: .zipf(1), scale: 1, itemSizeBytes: 10, runs: [base, proxy])
        let c = try #require(report.comparison)
        #expect(abs(c.p50 - 0.1) < 0.01)
        #expect(c.throughput == 1)
        let table = SummaryTable.render(report)
        #expect(table.contains("proxy/store"))
        #expect(table.contains("0.10x"))
        let html = HTMLReport.render(report)
        #expect(html.components(separatedBy: "<svg").count == 4)
        #expect(!html.contains("<script") && !html.contains("src=") && !html.contains("<link"))
        let json = try JSONParser.parse(Array(try report.json()))
        #expect(json["runs"]?.arrayValue?.count == 2)
        #expect(json["comparison"]?["other"] == .string("proxy"))
    }

    @Test func proxyCountersAreDifferencesOfStats() throws {
        let before = ProxyCounters(
            stats: try JSONParser.parse(
                #"{"totals": {"hits": 10, "misses": 5, "bypass": 1, "upstreamCalls": 6}, "writes": {"clientWrites": 4, "upstreamWriteRequests": 4, "coalesced": 0}}"#
            ))
        let after = ProxyCounters(
            stats: try JSONParser.parse(
                #"{"totals": {"hits": 110, "misses": 25, "bypass": 1, "upstreamCalls": 24}, "writes": {"clientWrites": 54, "upstreamWriteRequests": 14, "coalesced": 30}}"#
            ))
        let d = after - before
        #expect(d.cacheServed == 100 && d.misses == 20 && d.upstreamReads == 18)
        // 120 cache lookups, 18 upstream reads: 102 saved; 50 writes in 10 requests: 40 saved.
        #expect(d.upstreamCallsSaved == 142)
        #expect(abs(d.hitRatio - 100.0 / 120) < 1e-9)
        #expect(d.coalescedWrites == 30)
        #expect(d.requestsSeen == 120 + 50)
    }

    /// The coherence checker's table is left out of the reads, so the proxy's hit ratio counts
    /// the same reads as the load generator's header count.
    @Test func proxyCountersLeaveOutTheCoherenceTable() throws {
        let stats = try JSONParser.parse(
            #"{"totals": {"hits": 15, "misses": 15}, "tables": {"Users": {"GetItem": {"hits": 9, "misses": 1, "upstreamCalls": 1}, "Query": {"hits": 1, "misses": 4, "upstreamCalls": 4}}, "Coherence": {"GetItem": {"hits": 5, "misses": 10, "upstreamCalls": 10}}}, "writes": {"clientWrites": 0}}"#
        )
        let all = ProxyCounters(stats: stats)
        let load = ProxyCounters(stats: stats, excluding: ["Coherence"])
        #expect(all.cacheServed == 15 && all.misses == 15)
        #expect(load.cacheServed == 10 && load.misses == 5 && load.upstreamReads == 5)
        #expect(abs(load.hitRatio - 10.0 / 15) < 1e-9)
        #expect(load.upstreamCallsSaved == 10 && load.requestsSeen == 15)
    }
}
