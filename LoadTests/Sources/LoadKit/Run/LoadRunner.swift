import DynamoModel
import Foundation
import Synchronization

/// Drives one endpoint with a workload under `RunSettings` and records every answer.
public struct LoadRunner: Sendable {
    public let workload: Workload
    public let client: LoadClient
    public let settings: RunSettings

    public init(workload: Workload, client: LoadClient, settings: RunSettings) {
        self.workload = workload
        self.client = client
        self.settings = settings
    }

    /// Runs the warm-up (not recorded), then the measured phase; `progress` is called about once
    /// a second with what was recorded so far and the seconds elapsed. Returns the recording
    /// and the measured phase's length in seconds.
    public func run(
        beforeMeasuring: @Sendable () async -> Void = {},
        progress: (@Sendable (Recorder.State, Double) -> Void)? = nil
    ) async -> (state: Recorder.State, seconds: Double) {
        if settings.warmupSeconds > 0 {
            var warm = settings
            warm.durationSeconds = settings.warmupSeconds
            warm.requests = nil
            _ = await phase(warm, recorder: nil, seedOffset: 1_000_003)
        }
        await beforeMeasuring()
        let start = Clock.nanos()
        let recorder = Recorder(steps: workload.scenario.steps.count, startNanos: start)
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: 1_000_000_000)
                if Task.isCancelled { break }
                progress?(recorder.snapshot(), Double(Clock.nanos() - start) / 1e9)
            }
        }
        await phase(settings, recorder: recorder, seedOffset: 0, start: start)
        ticker.cancel()
        return (recorder.snapshot(), Double(Clock.nanos() - start) / 1e9)
    }

    func phase(_ s: RunSettings, recorder: Recorder?, seedOffset: UInt64, start: UInt64 = Clock.nanos()) async {
        let deadline = s.durationSeconds.map { start + UInt64($0 * 1e9) }
        let issued = Counter()
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<max(1, s.concurrency) {
                group.addTask {
                    var random = SplitMix64(seed: s.seed &* 0x9E37_79B9 &+ UInt64(worker) &+ seedOffset)
                    while true {
                        let i = issued.next()
                        if let limit = s.requests, i >= limit { return }
                        var intended: UInt64? = nil
                        if let rate = s.rate {
                            let due = start + UInt64(Double(i) * 1e9 / rate)
                            if let deadline, due >= deadline { return }
                            let now = Clock.nanos()
                            if due > now { try? await Task.sleep(nanoseconds: due - now) }
                            intended = due
                        } else if let deadline, Clock.nanos() >= deadline {
                            return
                        }
                        await execute(
                            step: workload.pickStep(using: &random), random: &random, intended: intended,
                            recorder: recorder)
                    }
                }
            }
        }
    }

    /// One step: its request, and its further pages while `LastEvaluatedKey` comes back.
    func execute(step index: Int, random: inout SplitMix64, intended: UInt64?, recorder: Recorder?) async {
        let step = workload.scenario.steps[index]
        var body = workload.render(step: index, using: &random)
        for page in 0..<step.pages {
            let sent = Clock.nanos()
            let from = page == 0 ? (intended ?? sent) : sent
            var sample = Recorder.Sample(
                step: index, latencyNanos: 0, serviceNanos: 0, endNanos: 0, errorType: nil, expected: false, cache: nil)
            var next: JSONValue? = nil
            do {
                let response = try await client.send(operation: step.operation, body: JSONWriter.bytes(body))
                sample.cache = response.cache
                if let type = response.errorType {
                    sample.errorType = type
                    sample.expected = step.expectedErrors.contains(type)
                } else if page + 1 < step.pages {
                    next = (try? JSONParser.parse(response.body))?["LastEvaluatedKey"]
                }
            } catch {
                sample.errorType = Self.transportErrorName(error)
            }
            let end = Clock.nanos()
            sample.endNanos = end
            sample.latencyNanos = end &- min(from, end)
            sample.serviceNanos = end &- sent
            recorder?.record(sample)
            guard let next, case .object(var request) = body else { return }
            request["ExclusiveStartKey"] = next
            body = .object(request)
        }
    }

    static func transportErrorName(_ error: any Error) -> String {
        let text = "\(error)"
        let short = text.count > 60 ? String(text.prefix(60)) + "…" : text
        return "transport: \(short)"
    }
}

/// Monotonic nanoseconds (CLOCK_MONOTONIC), shared by every task of a run.
public enum Clock {
    public static func nanos() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
}

/// A shared ticket counter: each worker takes the next request number.
final class Counter: Sendable {
    let value = Atomic<Int>(0)
    func next() -> Int { value.wrappingAdd(1, ordering: .relaxed).oldValue }
}
