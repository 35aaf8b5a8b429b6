import PoolHubStore
import Testing

@Suite struct PostgresLocationTests {
    @Test func parsesAFullURL() throws {
        let location = try PostgresLocation(url: "postgres://hub%40prod:p%2Fss%3Aword@db.example.com:6432/poolhub?sslmode=require")
        #expect(
            location
                == PostgresLocation(
                    host: "db.example.com", port: 6432, username: "hub@prod", password: "p/ss:word", database: "poolhub",
                    requireTLS: true))
    }

    @Test func defaultsPortAndPlainText() throws {
        let location = try PostgresLocation(url: "postgresql://pgci@127.0.0.1/postgres")
        #expect(location.port == 5432)
        #expect(location.password == nil)
        #expect(location.requireTLS == false)
        #expect(try PostgresLocation(url: "postgres://u:p@h/d?sslmode=disable").requireTLS == false)
        #expect(try PostgresLocation(url: "postgres://u:p@h/d?sslmode=prefer").requireTLS == false)
    }

    @Test(arguments: [
        "mysql://u@h/d", "postgres://h/d", "postgres://u@/d", "postgres://u@h", "postgres://u@h/", "postgres://u@h/a/b",
        "postgres://u@h/d?sslmode=verify-full", "postgres://u@h/d?foo=bar", "not a url",
    ])
    func refusesWhatItCannotUse(_ url: String) {
        #expect(throws: PostgresLocation.Invalid.self) { try PostgresLocation(url: url) }
    }

    @Test func saysWhyInOneLine() {
        do {
            _ = try PostgresLocation(url: "mysql://u@h/d")
            Issue.record("accepted")
        } catch {
            #expect(error.description == "invalid PostgreSQL URL: scheme must be postgres:// or postgresql://")
        }
    }
}
