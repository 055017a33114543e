extension TableStreamConsumer {
    /// One table's consumer lifecycle as a value: events in (what DescribeTable said, whether a
    /// pass over the shards brought records, errors), actions out; the consumer performs them.
    /// Shard-level progress (lineage, iterators, checkpoints) lives in `Reading`; this decides
    /// when to look for the stream, when to drop the table's cached entries, and how long to
    /// wait between polls.
    ///
    ///     idle ─start─▶ describe ─┬─ no stream ──▶ noStream (drop if it was reading; look again in 2 s)
    ///                             ├─ new ARN ────▶ starting ─started─▶ reading (drop first if not resumed)
    ///                             └─ same ARN ───▶ reading ─shardsRead─▶ describe (at once, or after the idle delay)
    ///     StreamGone (table deleted) ─▶ drop, describe at once;   other failure ─▶ describe in 500 ms
    ///
    /// The drops are what keep the cache honest: a stream that was disabled, replaced or whose
    /// table was deleted, and a first start without checkpoints, all mean records may have been
    /// missed, so nothing cached before may be trusted.
    struct StateMachine: Sendable, Equatable {
        enum State: Sendable, Equatable {
            case idle
            case noStream
            case starting(arn: String)
            case reading(arn: String, idleDelayMilliseconds: Double)
        }

        enum Action: Sendable, Equatable {
            /// Ask DescribeTable for the latest stream, after waiting this long.
            case describeTable(afterMilliseconds: Double)
            /// Load checkpoints and list shards of this stream, then report `started`.
            case startReading(arn: String)
            /// Read every readable shard once, then report `shardsRead`.
            case readShards
            /// Invalidate the whole table's cached entries, then ask DescribeTable after waiting.
            case dropCache(thenDescribeAfterMilliseconds: Double)
            /// Invalidate the whole table's cached entries, then read the shards.
            case dropCacheThenReadShards
        }

        static let noStreamPollMilliseconds: Double = 2_000
        static let retryMilliseconds: Double = 500

        let idlePollMinMilliseconds: Double
        let idlePollMaxMilliseconds: Double
        private(set) var state = State.idle

        init(settings: ChangeStreamSettings) {
            idlePollMinMilliseconds = settings.idlePollMinMilliseconds
            idlePollMaxMilliseconds = max(settings.idlePollMinMilliseconds, settings.idlePollMaxMilliseconds)
        }

        /// The name `/stats` shows.
        var name: String {
            switch state {
            case .idle, .starting: "starting"
            case .noStream: "noStream"
            case .reading: "reading"
            }
        }

        mutating func start() -> Action {
            .describeTable(afterMilliseconds: 0)
        }

        /// DescribeTable answered: the table's latest stream ARN, or nil (streams off).
        mutating func described(latestStream arn: String?) -> Action {
            guard let arn else {
                let wasReading = if case .reading = state { true } else { false }
                state = .noStream
                return wasReading
                    ? .dropCache(thenDescribeAfterMilliseconds: Self.noStreamPollMilliseconds)
                    : .describeTable(afterMilliseconds: Self.noStreamPollMilliseconds)
            }
            if case .reading(let current, _) = state, current == arn { return .readShards }
            // a first stream, or a new one replacing the one being read
            state = .starting(arn: arn)
            return .startReading(arn: arn)
        }

        /// The stream's shards are listed; `resumed` when checkpoints were found for it. Without
        /// them (a first start, or checkpoints lost) reading begins at LATEST, so what was cached
        /// before must go.
        mutating func started(resumed: Bool) -> Action {
            guard case .starting(let arn) = state else {
                preconditionFailure("stream consumer started while \(state)")
            }
            state = .reading(arn: arn, idleDelayMilliseconds: idlePollMinMilliseconds)
            return resumed ? .readShards : .dropCacheThenReadShards
        }

        /// One pass over the shards finished: at once again if records came, else after an idle
        /// delay that doubles up to the maximum.
        mutating func shardsRead(progressed: Bool) -> Action {
            guard case .reading(let arn, let delay) = state else {
                preconditionFailure("shards read while \(state)")
            }
            if progressed {
                state = .reading(arn: arn, idleDelayMilliseconds: idlePollMinMilliseconds)
                return .describeTable(afterMilliseconds: 0)
            }
            state = .reading(arn: arn, idleDelayMilliseconds: min(delay * 2, idlePollMaxMilliseconds))
            return .describeTable(afterMilliseconds: delay)
        }

        /// The table or stream is gone (ResourceNotFoundException while reading).
        mutating func streamGone() -> Action {
            state = .idle
            return .dropCache(thenDescribeAfterMilliseconds: 0)
        }

        /// Any other failure (the store unreachable, throttled): try again shortly, keeping the
        /// position.
        mutating func failed() -> Action {
            if case .starting = state { state = .idle }
            return .describeTable(afterMilliseconds: Self.retryMilliseconds)
        }
    }
}
