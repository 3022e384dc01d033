/// `NAME.errors.csv`: one row per error, for the partner to fix the file.
public enum ErrorManifest {
    public static let header = ["line", "record", "byte_offset", "column", "field", "code", "message", "value"]

    public static func render(_ errors: [RowError]) -> String {
        var text = CSVCell.row(header)
        for error in errors {
            text += CSVCell.row([String(error.line), String(error.record), String(error.byteOffset), String(error.column),
                                 error.field, error.code.rawValue, error.message, error.value])
        }
        return text
    }
}
