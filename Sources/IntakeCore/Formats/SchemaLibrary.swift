import Foundation

/// The XSD files XML feeds name. Built-in schemas are embedded in the binary and written to
/// `<spool>/schemas/` on first use; an operator can add their own files there.
public enum SchemaLibrary {
    public static let builtIn: [String: String] = ["claims-v1.xsd": ClaimsSchema.v1]

    /// The path of schema `name`, writing the built-in copy if the spool lacks it.
    public static func path(for name: String, spool: Spool) throws -> String {
        guard !name.contains("/"), !name.hasPrefix(".") else {
            throw XMLSchemaError(message: "schema names a file in the spool's schemas folder, not a path: \(name)")
        }
        let path = "\(spool.root)/schemas/\(name)"
        if let text = builtIn[name] {
            // A built-in schema follows the binary: an older copy in the spool is replaced.
            if (try? String(contentsOfFile: path, encoding: .utf8)) != text {
                try AtomicFileWriter.write(text, to: path)
            }
        } else if !FileSystem.exists(path) {
            throw XMLSchemaError(message: "no schema \(name) in \(spool.root)/schemas/ and none built in (built in: \(builtIn.keys.sorted().joined(separator: ", ")))")
        }
        return path
    }
}

public struct XMLSchemaError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
