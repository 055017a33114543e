import ArgumentParser
import NIOCore
import NIOPosix

// Swift Concurrency's global executor runs on NIO's event loops, so an awaited upstream call
// resumes on a loop thread instead of hopping between a thread pool and the loops (measured in
// `make bench-passthrough`). This must happen before any async code runs.
_ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()

// From top-level code, `DynaCacheCommand.main()` and `run()` resolve to ArgumentParser's
// synchronous overloads, which never call an async `run()`: dispatch through our own protocol.
do {
    var command = try DynaCacheCommand.parseAsRoot()
    if var entry = command as? any AsyncEntryPoint {
        try await entry.start()
    } else {
        try command.run()
    }
} catch {
    DynaCacheCommand.exit(withError: error)
}
