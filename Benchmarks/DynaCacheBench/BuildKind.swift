/// What this binary was built as, for every benchmark's header: numbers from a debug build
/// are not the proxy's and must say so.
enum BuildKind {
    #if DEBUG
        static let name = "DEBUG build (not representative: use `make bench-*`, which build release)"
    #else
        static let name = "release build"
    #endif
}
