// Store errors beyond SQL's own.

/// Why a store could not do what it was asked, beyond the database's own SQL errors.
package enum StoreError: Error, CustomStringConvertible, Equatable {
    case corrupt(String)
    /// The database cannot be reached now; callers may retry later (the store reconnects by itself).
    case unavailable(String)

    package var description: String {
        switch self {
        case .corrupt(let what): "stored data is not readable: \(what)"
        case .unavailable(let why): "the database is unavailable: \(why)"
        }
    }
}
