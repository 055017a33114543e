import Foundation

/// A throwaway redis-server on a free loopback port, for tests against the real thing.
public final class RedisServerProcess: @unchecked Sendable {
    public let port: Int
    let password: String?
    let directory: String?
    var process: Process?

    /// `directory`: keep an append-only file there, so data survives a restart.
    public init(port: Int? = nil, password: String? = nil, directory: String? = nil) throws {
        self.port = try port ?? Self.freePort()
        self.password = password
        self.directory = directory
        try start()
    }

    public func start() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.redisServerPath())
        var arguments = [
            "--bind", "127.0.0.1", "--port", String(port), "--save", "", "--appendonly", "no", "--enable-debug-command",
            "local",
        ]
        if let password { arguments += ["--requirepass", password] }
        if let directory { arguments += ["--dir", directory, "--appendonly", "yes", "--appendfsync", "always"] }
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        for _ in 0..<200 {
            if Self.canConnect(port) { return }
            usleep(20_000)
        }
        throw NSError(domain: "redis-server did not start on \(port)", code: 1)
    }

    public func stop() {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
        for _ in 0..<100 where Self.canConnect(port) { usleep(10_000) }
    }

    deinit { stop() }

    static func redisServerPath() -> String {
        for path in ["/usr/bin/redis-server", "/usr/local/bin/redis-server", "/usr/sbin/redis-server"]
        where FileManager.default.isExecutableFile(atPath: path) {
            return path
        }
        return "redis-server"
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func canConnect(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
