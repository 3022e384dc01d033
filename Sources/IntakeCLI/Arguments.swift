/// A usage mistake: exit code 64 (EX_USAGE) and the command's help.
public struct UsageError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// The words after the command name, consumed by the command as it reads its options;
/// whatever is left over is an error, so a typo never passes silently.
public struct Arguments {
    private var words: [String]

    public init(_ words: [String]) { self.words = words }

    public var isEmpty: Bool { words.isEmpty }

    /// Removes `--name` if present.
    public mutating func flag(_ name: String) -> Bool {
        guard let index = words.firstIndex(of: name) else { return false }
        words.remove(at: index)
        return true
    }

    /// Removes `--name VALUE` (or `--name=VALUE`) and returns the value.
    public mutating func option(_ name: String) throws(UsageError) -> String? {
        if let index = words.firstIndex(where: { $0.hasPrefix(name + "=") }) {
            let value = String(words[index].dropFirst(name.count + 1))
            words.remove(at: index)
            return value
        }
        guard let index = words.firstIndex(of: name) else { return nil }
        guard index + 1 < words.count, !words[index + 1].hasPrefix("--") else {
            throw UsageError(message: "\(name) needs a value")
        }
        let value = words[index + 1]
        words.removeSubrange(index...(index + 1))
        return value
    }

    /// Removes and returns the first word that is not an option.
    public mutating func positional() -> String? {
        guard let index = words.firstIndex(where: { !$0.hasPrefix("--") }) else { return nil }
        return words.remove(at: index)
    }

    /// Fails if anything was not understood.
    public func finish() throws(UsageError) {
        if let first = words.first {
            throw UsageError(message: "unexpected argument '\(first)'")
        }
    }
}
