import Foundation

/// Polls `condition` until it holds or `timeoutSeconds` pass, and says which. Tests wait for a
/// condition with a deadline rather than sleeping a fixed time and asserting afterwards: a
/// fixed sleep is either too long for a fast machine or too short for a loaded one.
public func eventually(
    timeoutSeconds: Double = 10, pollMilliseconds: UInt64 = 5, _ condition: () async -> Bool
) async -> Bool {
    let deadline = Date().addingTimeInterval(timeoutSeconds)
    while Date() < deadline {
        if await condition() { return true }
        try? await Task.sleep(nanoseconds: pollMilliseconds * 1_000_000)
    }
    return await condition()
}
