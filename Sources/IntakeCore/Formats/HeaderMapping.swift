import Foundation

/// Maps a file's header row to the columns of a layout: case-insensitive, order-free, with
/// per-feed aliases. Unknown extra columns are ignored.
public struct HeaderMapping<Column: RawRepresentable & CaseIterable & Hashable>: Sendable
where Column.RawValue == String, Column: Sendable {
    /// Index in the record of each column the file has.
    public let indexes: [Column: Int]
    public let headerNames: [String]

    /// Builds the mapping, or the file-level errors: duplicate and missing required columns.
    public static func make(header: [String], required: Set<Column>, aliases: [String: String] = [:]) -> Result<HeaderMapping, HeaderError> {
        var indexes: [Column: Int] = [:]
        var duplicates: [String] = []
        let lookup = Dictionary(uniqueKeysWithValues: Column.allCases.map { ($0.rawValue, $0) })
        let normalizedAliases = Dictionary(aliases.map { (normalize($0.key), normalize($0.value)) }, uniquingKeysWith: { first, _ in first })
        for (index, name) in header.enumerated() {
            let normalized = normalize(name)
            guard let column = lookup[normalizedAliases[normalized] ?? normalized] else { continue }
            if indexes[column] != nil {
                duplicates.append(name)
            } else {
                indexes[column] = index
            }
        }
        if !duplicates.isEmpty {
            return .failure(HeaderError(code: .duplicateColumn, columns: duplicates,
                                        message: "the header names a column more than once: \(duplicates.joined(separator: ", "))"))
        }
        let missing = Column.allCases.filter { required.contains($0) && indexes[$0] == nil }.map(\.rawValue)
        if !missing.isEmpty {
            return .failure(HeaderError(code: .missingColumns, columns: missing,
                                        message: "required column\(missing.count == 1 ? "" : "s") missing from the header: \(missing.joined(separator: ", ")) (header was: \(header.joined(separator: ",")))"))
        }
        return .success(HeaderMapping(indexes: indexes, headerNames: header))
    }

    static func normalize(_ name: String) -> String {
        name.trimmingCharacters(in: .whitespaces).lowercased()
    }
}

/// Why a header was refused: one error for the file, not one per row.
public struct HeaderError: Error, Sendable {
    public let code: ErrorCode
    public let columns: [String]
    public let message: String
}
