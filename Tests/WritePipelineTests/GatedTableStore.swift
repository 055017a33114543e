import NIOConcurrencyHelpers
import TableStore

/// A real table store behind a gate: while closed, BatchWriteItem requests wait (counted in
/// `waiting`) until `open()`. Tests use it to know, not guess, that writes arrive while a batch
/// is in flight, whatever the machine's load.
final class GatedTableStore: TableStore, Sendable {
    let inner: any TableStore
    let state = NIOLockedValueBox<(closed: Bool, waiting: [CheckedContinuation<Void, Never>])>((false, []))

    init(_ inner: any TableStore) { self.inner = inner }

    func close() { state.withLockedValue { $0.closed = true } }

    func open() {
        let waiting = state.withLockedValue { state -> [CheckedContinuation<Void, Never>] in
            defer { state = (false, []) }
            return state.waiting
        }
        for continuation in waiting { continuation.resume() }
    }

    var waiting: Int { state.withLockedValue { $0.waiting.count } }

    func send(_ request: TableStoreRequest) async throws -> TableStoreResponse {
        if request.operation.name == "BatchWriteItem" {
            await withCheckedContinuation { continuation in
                let wait = state.withLockedValue { state -> Bool in
                    if state.closed { state.waiting.append(continuation) }
                    return state.closed
                }
                if !wait { continuation.resume() }
            }
        }
        return try await inner.send(request)
    }

    func shutdown() async throws { try await inner.shutdown() }
}
