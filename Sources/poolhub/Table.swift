// Aligned text tables and the value formatting the admin commands print.

import Foundation

/// Rows under a header, each column as wide as its widest cell; numbers right-aligned.
struct Table {
    var header: [String]
    var rows: [[String]] = []

    init(_ header: String...) { self.header = header }

    mutating func add(_ cells: String...) { rows.append(cells) }

    /// Plain decimal numbers only: `Double("0xabc")` parses a hex float, and a miner address is no number.
    static func isNumber(_ text: String) -> Bool {
        !text.isEmpty && text.allSatisfy { "0123456789.-".contains($0) } && Double(text) != nil
    }

    var text: String {
        let all = [header] + rows
        let widths = header.indices.map { i in all.map { i < $0.count ? $0[i].count : 0 }.max() ?? 0 }
        let numeric = header.indices.map { i in !rows.isEmpty && rows.allSatisfy { i < $0.count && Self.isNumber($0[i]) } }
        return all.map { row in
            header.indices.map { i in
                let cell = i < row.count ? row[i] : ""
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                return numeric[i] ? pad + cell : (i == header.count - 1 ? cell : cell + pad)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}

/// How a JSON value reads in a table cell: "-" for absent or null; fractions to three places.
func cell(_ value: Any?) -> String {
    switch value {
    case nil, is NSNull: "-"
    case let i as Int: String(i)
    case let d as Double: d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(format: "%.3f", d)
    case let v?: "\(v)"
    }
}

/// A JSON boolean as a table reads it.
func flag(_ value: Any?) -> String { (value as? Bool) == true ? "yes" : "no" }
