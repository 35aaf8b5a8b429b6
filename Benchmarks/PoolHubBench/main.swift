import Foundation

// poolhub-bench match [MINERS] [ITERATIONS]   in-process matching on one core
// poolhub-bench scale [MINERS] [ITERATIONS]   the fleet-scale workloads in process (90 % busy, requirements)
// poolhub-bench echo [PORT]                   the JSON echo baseline server for HTTP runs
let arguments = CommandLine.arguments.dropFirst()
switch arguments.first {
case "match":
    var benchmark = MatchBenchmark()
    if let miners = arguments.dropFirst().first.flatMap({ Int($0) }) { benchmark.miners = miners }
    if let iterations = arguments.dropFirst(2).first.flatMap({ Int($0) }) { benchmark.iterations = iterations }
    benchmark.run()
case "scale":
    var benchmark = ScaleBenchmark()
    if let miners = arguments.dropFirst().first.flatMap({ Int($0) }) { benchmark.miners = miners }
    if let iterations = arguments.dropFirst(2).first.flatMap({ Int($0) }) { benchmark.iterations = iterations }
    benchmark.run()
case "echo":
    try await EchoServer(port: arguments.dropFirst().first.flatMap { Int($0) } ?? 8099).run()
default:
    print("usage: poolhub-bench match|scale [MINERS] [ITERATIONS] | poolhub-bench echo [PORT]")
    exit(2)
}
