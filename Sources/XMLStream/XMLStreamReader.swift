internal import CLibXML2
import Glibc

/// A node seen by the streaming reader.
public struct XMLNode: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case startElement
        case endElement
        case text
    }
    public let kind: Kind
    public let name: String
    /// Element text for `.text` nodes (text and CDATA), empty otherwise.
    public let value: String
    public let depth: Int
    public let line: Int
    /// True for `<a/>`: no `.endElement` follows.
    public let isEmptyElement: Bool
}

/// Why a document was refused.
public struct XMLStreamError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Code: String, Sendable {
        case malformed = "xml.malformed"
        case tooDeep = "xml.too_deep"
        case tooManyElements = "xml.too_many_elements"
        case textTooLong = "xml.text_too_long"
        case doctypeRefused = "xml.doctype_refused"
        case cannotOpen = "xml.cannot_open"
        case schemaInvalid = "xml.schema_invalid"
        case schemaUnusable = "xml.schema_unusable"
    }
    public let code: Code
    public let message: String
    public let line: Int
    public let column: Int
    public var description: String { "\(code.rawValue) at line \(line), column \(column): \(message)" }
}

/// Limits that keep a hostile document small and quick to refuse.
public struct XMLLimits: Sendable {
    public var maxDepth = 64
    public var maxElements = 50_000_000
    public var maxTextBytes = 1 << 20
    public init() {}
}

/// A pull reader over libxml2's `xmlTextReader`: constant memory, no document tree.
///
/// Hardened: no network (`XML_PARSE_NONET`), no DTD loading, no entity substitution, and a
/// document that declares a DOCTYPE is refused outright (billion laughs and XXE both need one).
/// Not `Sendable`: one owner pulls nodes. The C reader is freed in `deinit`.
public final class XMLStreamReader {
    private let reader: OpaquePointer
    private let limits: XMLLimits
    private var elementCount = 0
    private let errorBox = ErrorBox()

    /// Opens `path`; with `schemaPath`, every node is also validated against that XSD and the
    /// first violation ends the read with `xml.schema_invalid`.
    public init(path: String, limits: XMLLimits = XMLLimits(), schemaPath: String? = nil) throws(XMLStreamError) {
        // libxml2 parses a DOCTYPE's internal subset (entity declarations) before the reader
        // reports it, so refuse one from the prolog before libxml2 sees a byte.
        if let line = Self.doctypeLine(path: path) {
            throw XMLStreamError(code: .doctypeRefused, message: "DOCTYPE declarations are not accepted (entities and DTDs are refused)", line: line, column: 0)
        }
        let options = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOCDATA.rawValue | XML_PARSE_NOBLANKS.rawValue)
        guard let reader = xmlReaderForFile(path, nil, options) else {
            throw XMLStreamError(code: .cannotOpen, message: "cannot open \(path)", line: 0, column: 0)
        }
        self.reader = reader
        self.limits = limits
        xmlTextReaderSetStructuredErrorHandler(reader, { context, error in
            guard let context, let error else { return }
            let box = Unmanaged<ErrorBox>.fromOpaque(context).takeUnretainedValue()
            box.record(error)
        }, Unmanaged.passUnretained(errorBox).toOpaque())
        if let schemaPath, xmlTextReaderSchemaValidate(reader, schemaPath) != 0 {
            throw XMLStreamError(code: .schemaUnusable, message: "the XSD \(schemaPath) cannot be loaded or compiled", line: 0, column: 0)
        }
    }

    deinit {
        xmlFreeTextReader(reader)
    }

    /// The line of a `<!DOCTYPE` in the prolog (before the root element), if there is one.
    static func doctypeLine(path: String) -> Int? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        let count = fread(&buffer, 1, buffer.count, file)
        let bytes = buffer[0..<count]
        var index = bytes.startIndex
        var line = 1
        let doctype = Array("<!DOCTYPE".utf8)
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\n") { line += 1 }
            if byte == UInt8(ascii: "<") {
                let next = index + 1 < bytes.endIndex ? bytes[index + 1] : 0
                if next == UInt8(ascii: "?") || next == UInt8(ascii: "!") {
                    if bytes[index...].starts(with: doctype) { return line }
                    // Skip a comment or processing instruction.
                    let end: [UInt8] = next == UInt8(ascii: "?") ? Array("?>".utf8) : Array("-->".utf8)
                    var cursor = index + 2
                    while cursor < bytes.endIndex, !bytes[cursor...].starts(with: end) {
                        if bytes[cursor] == UInt8(ascii: "\n") { line += 1 }
                        cursor += 1
                    }
                    index = cursor + end.count
                    continue
                }
                return nil // the root element: no DOCTYPE before it
            }
            index += 1
        }
        return nil
    }

    /// The next element or text node, `nil` at the end of the document.
    /// Bytes of the document consumed so far: near the start of the node `next()` returned
    /// last. Asked for only where it is needed (a record's start): libxml2 counts it each time.
    public var byteOffset: Int { Int(xmlTextReaderByteConsumed(reader)) }

    /// The current node's name as UTF-8 bytes, lent without making a `String`; valid only
    /// inside `body` (for readers that call `next(names: false)` on a hot path).
    public func withCurrentName<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        guard let name = xmlTextReaderConstName(reader) else { return try body(UnsafeBufferPointer(start: nil, count: 0)) }
        return try body(UnsafeBufferPointer(start: name, count: strlen(name)))
    }

    /// The next element start, element end or text node; nil at the end of the document.
    /// With `names: false` element names are left empty (see `withCurrentName`).
    public func next(names: Bool = true) throws(XMLStreamError) -> XMLNode? {
        while true {
            let status = xmlTextReaderRead(reader)
            if status == 0 { return nil }
            if status < 0 || errorBox.first != nil {
                throw failure(errorBox.first?.isSchemaError == true ? .schemaInvalid : .malformed, "the document is not well-formed XML")
            }
            let type = xmlTextReaderNodeType(reader)
            let depth = Int(xmlTextReaderDepth(reader))
            let line = Int(xmlTextReaderGetParserLineNumber(reader))
            switch type {
            case Int32(XML_READER_TYPE_DOCUMENT_TYPE.rawValue):
                throw failure(.doctypeRefused, "DOCTYPE declarations are not accepted (entities and DTDs are refused)")
            case Int32(XML_READER_TYPE_ELEMENT.rawValue):
                elementCount += 1
                if depth >= limits.maxDepth { throw failure(.tooDeep, "element nesting deeper than \(limits.maxDepth)") }
                if elementCount > limits.maxElements { throw failure(.tooManyElements, "more than \(limits.maxElements) elements") }
                return XMLNode(kind: .startElement, name: names ? currentName() : "", value: "", depth: depth, line: line,
                               isEmptyElement: xmlTextReaderIsEmptyElement(reader) == 1)
            case Int32(XML_READER_TYPE_END_ELEMENT.rawValue):
                return XMLNode(kind: .endElement, name: names ? currentName() : "", value: "", depth: depth, line: line, isEmptyElement: false)
            case Int32(XML_READER_TYPE_TEXT.rawValue), Int32(XML_READER_TYPE_CDATA.rawValue):
                let text = currentValue()
                if text.utf8.count > limits.maxTextBytes { throw failure(.textTooLong, "a text node is longer than \(limits.maxTextBytes) bytes") }
                return XMLNode(kind: .text, name: "", value: text, depth: depth, line: line, isEmptyElement: false)
            case Int32(XML_READER_TYPE_ENTITY_REFERENCE.rawValue):
                throw failure(.doctypeRefused, "entity references are not accepted")
            default:
                continue
            }
        }
    }

    private func currentName() -> String {
        guard let name = xmlTextReaderConstName(reader) else { return "" }
        return String(cString: name)
    }

    private func currentValue() -> String {
        guard let value = xmlTextReaderConstValue(reader) else { return "" }
        return String(cString: value)
    }

    private func failure(_ code: XMLStreamError.Code, _ message: String) -> XMLStreamError {
        if let recorded = errorBox.first, code == .malformed || code == .schemaInvalid {
            return XMLStreamError(code: code, message: recorded.message, line: recorded.line, column: recorded.column)
        }
        return XMLStreamError(code: code, message: message,
                              line: Int(xmlTextReaderGetParserLineNumber(reader)),
                              column: Int(xmlTextReaderGetParserColumnNumber(reader)))
    }
}

/// Receives libxml2's structured errors; the first one is reported. Swift errors never cross C.
private final class ErrorBox {
    struct Recorded { let message: String; let line: Int; let column: Int; let isSchemaError: Bool }
    var first: Recorded?

    func record(_ error: xmlErrorPtr) {
        guard first == nil else { return }
        let message = error.pointee.message.map { String(cString: $0) } ?? "XML error"
        first = Recorded(message: message.trimmingSuffixNewlines(), line: Int(error.pointee.line), column: Int(error.pointee.int2),
                         isSchemaError: error.pointee.domain == Int32(XML_FROM_SCHEMASV.rawValue))
    }
}

private extension String {
    func trimmingSuffixNewlines() -> String {
        var text = self
        while text.last == "\n" { text.removeLast() }
        return text
    }
}
