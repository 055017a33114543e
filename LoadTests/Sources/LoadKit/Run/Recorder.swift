import Histogram
import Synchronization

/// Every response of a run: latency histograms (HdrHistogram, microseconds, 3 significant
/// digits), counts by step, error type and cache status, and one bucket per second for the
/// report's charts. Workers record under one lock: a few hundred nanoseconds against requests
/// that take tens of microseconds or more.
public final class Recorder: Sendable {
    public struct Bucket: Sendable, Codable, Equatable {
        public var requests = 0
        public var errors = 0
        /// Answers the cache served (hit, stale or negative) and cache lookups (those plus misses).
        public var cacheServed = 0
        public var cacheLookups = 0
    }

    public struct StepCounts: Sendable {
        public var requests = 0
        public var errors = 0
        public var expectedErrors = 0
        public var latency = Histogram<UInt64>(
            highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    }

    public struct State: Sendable {
        /// Latency from the intended start (open loop) or the send (closed loop): what a client saw.
        public var latency = Histogram<UInt64>(
            highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        /// Send to answer only; equals `latency` in a closed loop.
        public var service = Histogram<UInt64>(
            highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        public var steps: [StepCounts]
        public var errors: [String: Int] = [:]
        public var expectedErrors: [String: Int] = [:]
        public var cache: [String: Int] = [:]
        public var timeline: [Bucket] = []
        public var requests = 0
        public var transportErrors = 0
    }

    let state: Mutex<State>
    let startNanos: UInt64

    public init(steps: Int, startNanos: UInt64) {
        state = Mutex(State(steps: Array(repeating: StepCounts(), count: steps)))
        self.startNanos = startNanos
    }

    public struct Sample: Sendable {
        public var step: Int
        public var latencyNanos: UInt64
        public var serviceNanos: UInt64
        /// When the answer came, for the timeline.
        public var endNanos: UInt64
        public var errorType: String?
        public var expected: Bool
        public var cache: String?
    }

    public func record(_ s: Sample) {
        state.withLock { state in
            let micros = max(1, s.latencyNanos / 1_000)
            _ = state.latency.record(min(micros, 60_000_000))
            _ = state.service.record(min(max(1, s.serviceNanos / 1_000), 60_000_000))
            _ = state.steps[s.step].latency.record(min(micros, 60_000_000))
            state.steps[s.step].requests += 1
            state.requests += 1
            let second = Int((s.endNanos &- startNanos) / 1_000_000_000)
            if second >= 0 && second < 86_400 {
                while state.timeline.count <= second { state.timeline.append(Bucket()) }
                state.timeline[second].requests += 1
            }
            if let type = s.errorType {
                if s.expected {
                    state.expectedErrors[type, default: 0] += 1
                    state.steps[s.step].expectedErrors += 1
                } else {
                    state.errors[type, default: 0] += 1
                    state.steps[s.step].errors += 1
                    if second >= 0 && second < state.timeline.count { state.timeline[second].errors += 1 }
                }
            }
            if let cache = s.cache {
                state.cache[cache, default: 0] += 1
                if second >= 0 && second < state.timeline.count {
                    switch cache {
                    case "hit", "stale", "negative":
                        state.timeline[second].cacheServed += 1
                        state.timeline[second].cacheLookups += 1
                    case "miss": state.timeline[second].cacheLookups += 1
                    default: break
                    }
                }
            }
        }
    }

    public func snapshot() -> State { state.withLock { $0 } }
}
