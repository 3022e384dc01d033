import Foundation
@testable import IntakeCore
import Testing

@Suite("schemas")
struct SchemaTests {
    @Test("the embedded claims XSD is the file kept in the repository")
    func embeddedSchemaMatchesFile() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/IntakeCore/Schemas/claims-v1.xsd")
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(ClaimsSchema.v1 + "\n" == text || ClaimsSchema.v1 == text)
    }

    @Test("content sniffing recognises archives, XML claims and CSV claims headers")
    func sniffing() {
        #expect(ContentSniffer.sniff(Array("PK\u{3}\u{4}rest".utf8)) == .archive)
        #expect(ContentSniffer.sniff(Array("<?xml version=\"1.0\"?>\n<!-- c --><claims><claim/></claims>".utf8)) == .xmlClaims)
        #expect(ContentSniffer.sniff(Array("<invoices/>".utf8)) == nil)
        #expect(ContentSniffer.sniff(Array("CLAIM_ID;line_no;billing_npi;hcpcs\n".utf8)) == .csvClaims(delimiter: UInt8(ascii: ";")))
        #expect(ContentSniffer.sniff(Array("name,amount\n".utf8)) == nil)
    }

    @Test("max_errors reads counts and percentages")
    func errorLimits() throws {
        let decoder = JSONDecoder()
        let count = try decoder.decode([ErrorLimit].self, from: Data("[3, \"10%\"]".utf8))
        #expect(count == [.count(3), .percent(10)])
        #expect(ErrorLimit.percent(10).isExceeded(errors: 3, rows: 20))
        #expect(!ErrorLimit.percent(10).isExceeded(errors: 2, rows: 20))
        #expect(ErrorLimit.count(1).isExceeded(errors: 2, rows: 1000))
        #expect(throws: (any Error).self) { try decoder.decode([ErrorLimit].self, from: Data("[\"ten\"]".utf8)) }
    }
}
