import Foundation

/// Small helpers to produce stable, sorted JSON text for the database and manifests.
enum JSONText {
    static func object(_ values: [String: String]) -> String {
        encode(values)
    }

    static func encode<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
