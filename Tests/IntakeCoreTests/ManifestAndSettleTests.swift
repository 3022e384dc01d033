@testable import IntakeCore
import Testing

@Suite("CSV cells for people")
struct CSVCellTests {
    @Test("cells that start a formula are defused", arguments: [("=SUM(A1)", "'=SUM(A1)"), ("+1", "'+1"), ("-12.00", "'-12.00"), ("@cmd", "'@cmd"), ("\tx", "'\tx"), ("plain", "plain")])
    func formulaInjection(value: String, escaped: String) {
        #expect(CSVCell.escape(value) == escaped)
    }

    @Test("delimiters, quotes and line breaks are quoted")
    func quoting() {
        #expect(CSVCell.escape("a,b") == "\"a,b\"")
        #expect(CSVCell.escape("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(CSVCell.escape("=1,2") == "\"'=1,2\"")
        #expect(CSVCell.escape("x\ny") == "\"x\ny\"")
        // CRLF is a single Character in Swift; it must still be quoted.
        #expect(CSVCell.escape("x\r\ny") == "\"x\r\ny\"")
    }
}

@Suite("settling")
struct SettleTrackerTests {
    @Test("a file settles only after the window passes without change, counted from first sighting")
    func settles() {
        var tracker = SettleTracker(window: 3)
        let seen = [
            tracker.observe("f", size: 10, modified: 1, now: 100),
            tracker.observe("f", size: 10, modified: 1, now: 102),
            tracker.observe("f", size: 20, modified: 2, now: 102.5),
            tracker.observe("f", size: 20, modified: 2, now: 105),
            tracker.observe("f", size: 20, modified: 2, now: 105.5),
        ]
        #expect(seen == [false, false, false, false, true])
    }

    @Test("an old mtime does not make a new file settled")
    func oldMtime() {
        var tracker = SettleTracker(window: 3)
        let first = tracker.observe("f", size: 10, modified: 0, now: 1_000_000)
        let second = tracker.observe("f", size: 10, modified: 0, now: 1_000_001)
        #expect(!first && !second)
    }
}

@Suite("escaping bytes")
struct EscapedBytesTests {
    static let samples = ["", "plain", "O'Brien", "Smith, Jr.", "say \"hi\"", "=SUM(A1)", "-200.00", "+1", "@cmd", "\tTab", "\rCR",
                          "line\nbreak", "a&b<c>d", "'quoted'", "-\"both\",", "Zoë Ångström", "=\"x\"", "crlf\r\nend"]

    @Test("CSV cells escaped from bytes equal CSVCell.escape")
    func csvCells() {
        for sample in Self.samples {
            var output: [UInt8] = []
            Array(sample.utf8).withUnsafeBufferPointer { EscapedBytes.appendCSVCell($0, to: &output) }
            #expect(String(decoding: output, as: UTF8.self) == CSVCell.escape(sample), "\(sample.debugDescription)")
        }
    }

    @Test("XML text escaped from bytes equals htmlEscape")
    func xmlText() {
        for sample in Self.samples {
            var output: [UInt8] = []
            Array(sample.utf8).withUnsafeBufferPointer { EscapedBytes.appendXMLText($0, to: &output) }
            #expect(String(decoding: output, as: UTF8.self) == htmlEscape(sample), "\(sample.debugDescription)")
        }
    }
}
