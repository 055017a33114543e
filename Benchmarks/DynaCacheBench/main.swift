import Foundation

// DynaCacheBench: measurements that run beside the code, in release builds.
//   DynaCacheBench json                  JSON request path vs Foundation, same run
//   DynaCacheBench store                 the embedded store's cost per call, in process
//   DynaCacheBench indexes               GSI query vs base query; write cost with 0, 1, 3 GSIs
//   DynaCacheBench streams               writes with a NEW_AND_OLD_IMAGES stream vs without; GetRecords
//   DynaCacheBench retry                 goodput against a throttling upstream: policy vs immediate
//   DynaCacheBench stub-upstream PORT    a DynamoDB-shaped upstream that answers instantly,
//                                        so a pass-through run measures the proxy, not the store
let arguments = CommandLine.arguments.dropFirst()
switch arguments.first {
case "json":
    JSONBenchmark.run()
case "retry":
    try await RetryBenchmark.run()
case "store":
    try StoreBenchmark.run()
case "indexes":
    try IndexBenchmark.run()
case "streams":
    try StreamBenchmark.run()
case "stub-upstream":
    guard let text = arguments.dropFirst().first, let port = Int(text) else {
        print("usage: DynaCacheBench stub-upstream PORT")
        exit(2)
    }
    try StubUpstream.run(port: port)
default:
    print("usage: DynaCacheBench json | store | indexes | streams | retry | stub-upstream PORT")
    exit(2)
}
