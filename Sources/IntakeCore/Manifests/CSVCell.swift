/// Escapes one cell of a CSV that people open in spreadsheets.
///
/// Formula injection (OWASP): a cell starting with `=`, `+`, `-`, `@`, tab or carriage return is
/// prefixed with a single quote so Excel and LibreOffice show it as text. Then RFC 4180 quoting:
/// cells holding the delimiter, a quote or a line break are quoted, inner quotes doubled.
public enum CSVCell {
    public static func escape(_ value: String) -> String {
        // The common case, checked on bytes: nothing to defuse and nothing to quote.
        let utf8 = value.utf8
        if let first = utf8.first, first != 61, first != 43, first != 45, first != 64, first != 9, first != 13,
           !utf8.contains(where: { $0 == 44 || $0 == 34 || $0 == 10 || $0 == 13 }) {
            return value
        }
        // On bytes, like the exports (and "\r\n" is one Character in Swift, so a Character
        // test would miss a CRLF).
        return EscapedBytes.escaped(value) { EscapedBytes.appendCSVCell($0, to: &$1) }
    }

    public static func row(_ values: [String]) -> String {
        values.map(escape).joined(separator: ",") + "\r\n"
    }
}
