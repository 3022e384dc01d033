import Foundation
import Hashing
import Testing
import XMLStream

@Suite("C library wrappers")
struct WrapperTests {
    @Test("SHA-256 matches the FIPS 180-2 test vectors")
    func sha256Vectors() throws {
        #expect(try SHA256Hasher.hexDigest(of: Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(try SHA256Hasher.hexDigest(of: []) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        let hasher = try SHA256Hasher()
        try hasher.update(Array("a".utf8))
        try hasher.update(Array("bc".utf8))
        #expect(try hasher.finalize() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    func writeTemp(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "xml-\(UUID().uuidString).xml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("the XML reader streams elements and text")
    func xmlStreams() throws {
        let reader = try XMLStreamReader(path: try writeTemp("<claims><claim><claim_id>C1</claim_id></claim></claims>"))
        var names: [String] = []
        var texts: [String] = []
        while let node = try reader.next() {
            if node.kind == .startElement { names.append(node.name) }
            if node.kind == .text { texts.append(node.value) }
        }
        #expect(names == ["claims", "claim", "claim_id"])
        #expect(texts == ["C1"])
    }

    @Test("a DOCTYPE with entities (billion laughs, XXE) is refused by name")
    func xmlRefusesDoctype() throws {
        let xxe = try writeTemp("<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><a>&x;</a>")
        #expect(throws: XMLStreamError.self) {
            let reader = try XMLStreamReader(path: xxe)
            while try reader.next() != nil {}
        }
    }

    @Test("malformed XML reports a line")
    func xmlMalformed() throws {
        let reader = try XMLStreamReader(path: try writeTemp("<a>\n<b></a>"))
        do {
            while try reader.next() != nil {}
            Issue.record("malformed XML should fail")
        } catch {
            #expect(error.code == .malformed)
            #expect(error.line >= 1)
        }
    }
}

@Suite("hostile XML")
struct HostileXMLTests {
    func writeTemp(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "xml-\(UUID().uuidString).xml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func firstError(_ path: String, schema: String? = nil) throws -> XMLStreamError? {
        do {
            let reader = try XMLStreamReader(path: path, schemaPath: schema)
            while try reader.next() != nil {}
            return nil
        } catch {
            return error
        }
    }

    @Test("100,000 nested elements are refused as too deep")
    func deepNesting() throws {
        let depth = 100_000
        let text = "<claims>" + String(repeating: "<a>", count: depth) + String(repeating: "</a>", count: depth) + "</claims>"
        #expect(try firstError(try writeTemp(text))?.code == .tooDeep)
    }

    @Test("billion laughs is refused without expanding anything")
    func billionLaughs() throws {
        var entities = "<!ENTITY lol \"lol\">"
        for level in 1...9 {
            let previous = level == 1 ? "lol" : "lol\(level - 1)"
            entities += "<!ENTITY lol\(level) \"" + String(repeating: "&\(previous);", count: 10) + "\">"
        }
        let text = "<?xml version=\"1.0\"?><!DOCTYPE lolz [\(entities)]><lolz>&lol9;</lolz>"
        #expect(try firstError(try writeTemp(text))?.code == .doctypeRefused)
    }

    @Test("an XSD violation is reported with its line")
    func schemaViolation() throws {
        let schema = try writeTemp("""
            <xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
              <xs:element name="claims"><xs:complexType><xs:sequence>
                <xs:element name="claim" type="xs:string" maxOccurs="unbounded"/>
              </xs:sequence></xs:complexType></xs:element>
            </xs:schema>
            """)
        let error = try firstError(try writeTemp("<claims>\n<claim>a</claim>\n<foo/>\n</claims>"), schema: schema)
        #expect(error?.code == .schemaInvalid)
        #expect(error?.line == 3)
        #expect(try firstError(try writeTemp("<claims><claim>a</claim></claims>"), schema: schema) == nil)
    }
}
