import Hummingbird

/// The baseline for HTTP figures: a route that returns the JSON it was sent, on the same framework
/// and machine as the hub, so hub numbers can be read against what the stack itself costs.
struct EchoServer {
    var port = 8099

    func run() async throws {
        let router = Router()
        router.post("/echo") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 64 * 1024)
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
        }
        try await Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port))).runService()
    }
}
