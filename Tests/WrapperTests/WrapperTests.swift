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
        let reader = try XMLStreamReader(path: xxe)
        #expect(throws: XMLStreamError.self) { while try reader.next() != nil {} }
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
