// The process's own metrics (resident memory, CPU, open files), read from /proc at scrape time.

import Foundation

/// The standard `process_*` metrics of Prometheus client libraries, read from `/proc/self` at each scrape
/// (Linux; elsewhere they are left out).
enum ProcessMetrics {
    static func exposition() -> String {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return "" }
        // Fields after the command name, which may hold spaces: state is field 3 of stat(5).
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        func field(_ n: Int) -> Double? { fields.count > n - 3 ? Double(fields[n - 3]) : nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
        var text = ""
        func gauge(_ name: String, _ type: String, _ help: String, _ value: Double?) {
            guard let value else { return }
            text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name) \(value)\n"
        }
        if let user = field(14), let system = field(15) {
            gauge("process_cpu_seconds_total", "counter", "User and system CPU time spent, seconds", (user + system) / ticks)
        }
        gauge("process_resident_memory_bytes", "gauge", "Resident memory size, bytes", field(24).map { $0 * pageSize })
        gauge("process_virtual_memory_bytes", "gauge", "Virtual memory size, bytes", field(23))
        if let started = field(22), let boot = bootTime() {
            gauge("process_start_time_seconds", "gauge", "Start time of the process since the Unix epoch, seconds", boot + started / ticks)
        }
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count).map(Double.init)
        gauge("process_open_fds", "gauge", "Open file descriptors", open)
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 {
            gauge("process_max_fds", "gauge", "Maximum number of open file descriptors", Double(limit.rlim_cur))
        }
        return text
    }

    private static func bootTime() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) else { return nil }
        return text.split(separator: "\n").first { $0.hasPrefix("btime ") }.flatMap { Double($0.dropFirst(6)) }
    }
}
