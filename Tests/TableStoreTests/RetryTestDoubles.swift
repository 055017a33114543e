import DynamoModel
import NIOConcurrencyHelpers
import NIOCore

@testable import TableStore

/// A clock whose sleeps take no time: they advance `now` and are recorded.
final class FakeClock: RetryClock, @unchecked Sendable {
    let lock = NIOLock()
    var current = 1000.0
    var sleeps: [Double] = []

    func now() -> Double { lock.withLock { current } }

    func sleep(seconds: Double) async throws {
        lock.withLock {
            sleeps.append(seconds)
            current += seconds
        }
    }

    func advance(_ seconds: Double) { lock.withLock { current += seconds } }
}

/// Answers from a script, then successes; counts calls and, for UpdateItem with ADD, applies
/// the increment before answering (to see whether a retry applies it twice).
final class ScriptedStore: TableStore, @unchecked Sendable {
    enum Step {
        case answer(status: Int, type: String)
        case applyThenFail(status: Int)
        case dropConnection(sent: Bool)
    }

    let lock = NIOLock()
    var script: [Step]
    var calls = 0
    var applied = 0
    var bodies: [[UInt8]] = []

    init(_ script: [Step]) { self.script = script }

    func send(_ request: TableStoreRequest) async throws -> TableStoreResponse {
        let step: Step? = lock.withLock {
            calls += 1
            bodies.append(request.body)
            return script.isEmpty ? nil : script.removeFirst()
        }
        switch step {
        case nil:
            lock.withLock { applied += 1 }
            return Self.response(200, body: "{}")
        case .answer(let status, let type)?:
            return Self.response(
                status, body: #"{"__type":"com.amazonaws.dynamodb.v20120810#\#(type)","message":"scripted"}"#)
        case .applyThenFail(let status)?:
            lock.withLock { applied += 1 }
            return Self.response(
                status, body: #"{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"scripted"}"#
            )
        case .dropConnection(let sent)?:
            throw TableStoreTransportError(message: "scripted drop", requestSent: sent)
        }
    }

    static func response(_ status: Int, body: String) -> TableStoreResponse {
        TableStoreResponse(status: status, headers: [], body: ByteBuffer(string: body))
    }

    func shutdown() async throws {}
}

func request(_ operation: String, _ body: String) -> TableStoreRequest {
    TableStoreRequest(operation: Operation(family: .dynamoDB, name: operation), body: Array(body.utf8))
}

/// Deterministic "random" values in [0, 1).
final class SequenceRandom: @unchecked Sendable {
    let lock = NIOLock()
    var values: [Double]
    var index = 0
    init(_ values: [Double]) { self.values = values }
    func next() -> Double {
        lock.withLock {
            defer { index += 1 }
            return values[index % values.count]
        }
    }
}
