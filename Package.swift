// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "DynaCache",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "dynacache", targets: ["dynacache"]),
        .executable(name: "dynacache-load", targets: ["dynacache-load"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams.git", "5.0.1"..<"7.0.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CHiredis",
            path: "Sources/CHiredis",
            providers: [.apt(["libhiredis-dev"])]
        ),
        .systemLibrary(
            name: "CSQLite",
            path: "Sources/CSQLite",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .target(name: "DynamoModel"),
        .target(name: "DynamoExpressions", dependencies: ["DynamoModel"]),
        .target(
            name: "SigV4",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(
            name: "TableStore",
            dependencies: [
                "DynamoModel",
                "SigV4",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "Redis",
            dependencies: [
                "CHiredis",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .target(
            name: "Cache",
            dependencies: [
                "DynamoModel",
                "DynamoExpressions",
                "Redis",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .target(
            name: "EmbeddedStore",
            dependencies: [
                "DynamoModel",
                "DynamoExpressions",
                "CSQLite",
                "TableStore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .target(
            name: "ChangeStream",
            dependencies: [
                "DynamoModel",
                "TableStore",
                "Cache",
                "Redis",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .target(name: "Seed", dependencies: ["DynamoModel", "TableStore"]),
        .target(
            name: "WritePipeline",
            dependencies: [
                "DynamoModel",
                "TableStore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .target(
            name: "Server",
            dependencies: [
                "DynamoModel",
                "DynamoExpressions",
                "WritePipeline",
                "ChangeStream",
                "SigV4",
                "TableStore",
                "EmbeddedStore",
                "Cache",
                "Redis",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .executableTarget(
            name: "dynacache",
            dependencies: [
                "Server",
                "Seed",
                "TableStore",
                "DynamoModel",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "DynaCacheBench",
            dependencies: [
                "DynamoModel",
                "EmbeddedStore",
                "TableStore",
                "SigV4",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Benchmarks/DynaCacheBench"
        ),
        // The load generator talks HTTP like any client (DESIGN.md): DynamoModel and SigV4 only.
        .target(
            name: "LoadKit",
            dependencies: [
                "DynamoModel",
                "SigV4",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Yams", package: "Yams"),
            ],
            path: "LoadTests/Sources/LoadKit"
        ),
        .executableTarget(
            name: "dynacache-load",
            dependencies: ["LoadKit", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "LoadTests/Sources/dynacache-load"
        ),
        .testTarget(name: "LoadKitTests", dependencies: ["LoadKit", "DynamoModel"]),
        .testTarget(name: "DynamoModelTests", dependencies: ["DynamoModel"]),
        .testTarget(name: "DynamoExpressionsTests", dependencies: ["DynamoExpressions", "DynamoModel"]),
        .testTarget(name: "SigV4Tests", dependencies: ["SigV4"]),
        .testTarget(
            name: "EmbeddedStoreTests",
            dependencies: [
                "EmbeddedStore", "TableStore", "DynamoModel", .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "ChangeStreamTests", dependencies: ["ChangeStream", "DynamoModel"]),
        .testTarget(
            name: "WritePipelineTests",
            dependencies: [
                "WritePipeline", "EmbeddedStore", "TableStore", "DynamoModel", "TestSupport",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        // Pure logic: runs anywhere in seconds (`swift test --filter CacheTests`).
        .testTarget(
            name: "CacheTests",
            dependencies: ["Cache", "DynamoModel"]
        ),
        .testTarget(
            name: "RedisTests",
            dependencies: ["Redis", .product(name: "NIOCore", package: "swift-nio")]
        ),
        // Against a real redis-server each test starts (TestSupport's RedisServerProcess):
        // the Redis client, the item and query caches, and the cache's fidelity races.
        .testTarget(
            name: "CacheIntegrationTests",
            dependencies: [
                "TestSupport",
                "Cache",
                "Redis",
                "DynamoModel",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "TableStoreTests",
            dependencies: [
                "TableStore",
                "DynamoModel",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "Server", "DynamoModel", "SigV4", "TableStore", "CHiredis", "CSQLite",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
