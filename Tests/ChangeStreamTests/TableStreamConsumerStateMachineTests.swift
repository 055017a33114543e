import Testing

@testable import ChangeStream

/// The stream consumer's lifecycle, event by event, without a store: when it looks for the
/// stream, when it drops the table's cached entries, how it backs off while idle.
struct TableStreamConsumerStateMachineTests {
    func machine(min: Double = 100, max: Double = 1_000) -> TableStreamConsumer.StateMachine {
        var settings = ChangeStreamSettings()
        settings.idlePollMinMilliseconds = min
        settings.idlePollMaxMilliseconds = max
        return TableStreamConsumer.StateMachine(settings: settings)
    }

    @Test func aFirstStartReadsFromLatestAndDropsWhatWasCachedBefore() {
        var m = machine()
        #expect(m.start() == .describeTable(afterMilliseconds: 0))
        #expect(m.described(latestStream: "arn:1") == .startReading(arn: "arn:1"))
        #expect(m.name == "starting")
        #expect(m.started(resumed: false) == .dropCacheThenReadShards)
        #expect(m.name == "reading")
    }

    @Test func aResumedStreamKeepsTheCache() {
        var m = machine()
        _ = m.start()
        _ = m.described(latestStream: "arn:1")
        #expect(m.started(resumed: true) == .readShards)
        #expect(m.described(latestStream: "arn:1") == .readShards)
    }

    @Test func idlePollsBackOffToTheMaximumAndRecordsResetThem() {
        var m = machine(min: 100, max: 1_000)
        _ = m.start()
        _ = m.described(latestStream: "arn:1")
        _ = m.started(resumed: true)
        var delays: [Double] = []
        for _ in 0..<6 {
            guard case .describeTable(let delay) = m.shardsRead(progressed: false) else {
                Issue.record("no delay")
                return
            }
            delays.append(delay)
            #expect(m.described(latestStream: "arn:1") == .readShards)
        }
        #expect(delays == [100, 200, 400, 800, 1_000, 1_000])
        #expect(m.shardsRead(progressed: true) == .describeTable(afterMilliseconds: 0))
        #expect(m.described(latestStream: "arn:1") == .readShards)
        #expect(m.shardsRead(progressed: false) == .describeTable(afterMilliseconds: 100))
    }

    @Test func aDisabledStreamDropsTheCacheOnceAndKeepsLooking() {
        var m = machine()
        _ = m.start()
        #expect(m.described(latestStream: nil) == .describeTable(afterMilliseconds: 2_000))  // never had one
        #expect(m.name == "noStream")
        _ = m.described(latestStream: "arn:1")
        _ = m.started(resumed: true)
        #expect(m.described(latestStream: nil) == .dropCache(thenDescribeAfterMilliseconds: 2_000))
        #expect(m.described(latestStream: nil) == .describeTable(afterMilliseconds: 2_000))  // dropped once
    }

    @Test func aReplacedStreamStartsOverAndADeletedTableDrops() {
        var m = machine()
        _ = m.start()
        _ = m.described(latestStream: "arn:1")
        _ = m.started(resumed: true)
        // disabled and enabled again between two looks: a new ARN, read from its start
        #expect(m.described(latestStream: "arn:2") == .startReading(arn: "arn:2"))
        #expect(m.started(resumed: false) == .dropCacheThenReadShards)
        #expect(m.streamGone() == .dropCache(thenDescribeAfterMilliseconds: 0))
        #expect(m.name == "starting")
        #expect(m.described(latestStream: "arn:2") == .startReading(arn: "arn:2"))
    }

    @Test func otherFailuresRetryShortlyAndKeepThePosition() {
        var m = machine()
        _ = m.start()
        _ = m.described(latestStream: "arn:1")
        #expect(m.failed() == .describeTable(afterMilliseconds: 500))  // failed while starting
        #expect(m.described(latestStream: "arn:1") == .startReading(arn: "arn:1"))
        _ = m.started(resumed: true)
        #expect(m.failed() == .describeTable(afterMilliseconds: 500))
        #expect(m.described(latestStream: "arn:1") == .readShards)  // still reading, same shards
    }
}
