/// Escapes one cell of a CSV that people open in spreadsheets.
///
/// Formula injection (OWASP): a cell starting with `=`, `+`, `-`, `@`, tab or carriage return is
/// prefixed with a single quote so Excel and LibreOffice show it as text. Then RFC 4180 quoting:
/// cells holding the delimiter, a quote or a line break are quoted, inner quotes doubled.
public enum CSVCell {
    public static func escape(_ value: String) -> String {
        var text = value
        if let first = text.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) {
            text = "'" + text
        }
        if text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return text
    }

    public static func row(_ values: [String]) -> String {
        values.map(escape).joined(separator: ",") + "\r\n"
    }
}
