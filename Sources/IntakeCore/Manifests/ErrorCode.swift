/// The stable error codes partners and staff see in manifests and on the command line.
///
/// Each raw value is documented in `Docs/manifests.md`; never rename one, only add.
public enum ErrorCode: String, Sendable, Codable, CaseIterable {
    // The file as a whole.
    case fileEmpty = "file.empty"
    case fileUnreadable = "file.unreadable"
    case fileVanished = "file.vanished"
    case unknownFeed = "file.unknown_feed"
    case unsupportedFormat = "file.unsupported_format"
    case tooManyErrors = "file.too_many_errors"
    /// The last record is cut short without a line end: most likely an upload that was aborted.
    case incompleteUpload = "file.incomplete_upload"

    // CSV structure.
    case noHeader = "csv.no_header"
    case missingColumns = "csv.missing_columns"
    case duplicateColumn = "csv.duplicate_column"
    case fieldCount = "csv.field_count"
    case unterminatedQuote = "csv.unterminated_quote"
    case recordTooLong = "csv.record_too_long"
    case invalidUTF8 = "csv.invalid_utf8"
    case binaryContent = "csv.binary_content"
    case unsupportedEncoding = "csv.unsupported_encoding"

    // XML structure.
    case xmlMalformed = "xml.malformed"
    case xmlTooDeep = "xml.too_deep"
    case xmlTooManyElements = "xml.too_many_elements"
    case xmlTextTooLong = "xml.text_too_long"
    case xmlDoctypeRefused = "xml.doctype_refused"
    case xmlSchemaInvalid = "xml.schema_invalid"
    case xmlUnexpectedRoot = "xml.unexpected_root"

    // Archives.
    case archivePathTraversal = "archive.path_traversal"
    case archiveLinkRefused = "archive.link_refused"
    case archiveSpecialFile = "archive.special_file"
    case archiveTooManyMembers = "archive.too_many_members"
    case archiveTooLarge = "archive.too_large"
    case archiveRatioExceeded = "archive.ratio_exceeded"
    case archiveTooDeep = "archive.too_deep"
    case archiveEncrypted = "archive.encrypted"
    case archiveCorrupt = "archive.corrupt"
    case archiveEmpty = "archive.empty"
    case archiveDuplicateMember = "archive.duplicate_member"

    // Field values.
    case required = "value.required"
    case tooLong = "value.too_long"
    case partnerMismatch = "claim.partner_mismatch"
    case npiFormat = "npi.format"
    case npiCheckDigit = "npi.check_digit"
    case hcpcsFormat = "hcpcs.format"
    case modifierFormat = "modifier.format"
    case tooManyModifiers = "modifier.too_many"
    case icd10Format = "icd10.format"
    case icd10BeforeEffective = "icd10.before_effective"
    case dateFormat = "date.format"
    case dateRange = "date.range"
    case dateInFuture = "date.future"
    case birthAfterService = "dob.not_before_service"
    case unitsRange = "units.range"
    case moneyFormat = "money.format"
    case lineNumberFormat = "line_no.format"
    case duplicateLine = "claim.duplicate_line"
    case valueRange = "value.range"
    case valueChoice = "value.choice"
    case pointerInvalid = "claim.pointer_invalid"
    case rentalModifierMismatch = "rental.modifier_mismatch"
    case rentalCapExceeded = "rental.cap_exceeded"
    case rentalUnknown = "rental.unknown"
    case adjustmentFormat = "remit.adjustment_format"
    case unbalanced = "remit.unbalanced"
    case checkTotalMismatch = "remit.check_total_mismatch"
    case unknownItem = "inventory.unknown_item"
    case serialRequired = "inventory.serial_required"
    case duplicateRecord = "value.duplicate_key"

    // Processing (not the partner's fault).
    case internalError = "job.internal_error"
    case cancelled = "job.cancelled"
    case timedOut = "job.timed_out"
    case dependencyFailed = "job.dependency_failed"
    case fileTooLarge = "file.too_large"
    case tooManyRows = "file.too_many_rows"
}
