import Foundation
import IntakeCore
import SQLiteStore
import Testing

/// A temporary spool and the real `intake` binary, run as a separate process.
struct Harness {
    let root: String
    var spool: String { root + "/spool" }

    static var binary: String {
        if let path = ProcessInfo.processInfo.environment["INTAKE_BIN"] { return path }
        let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return package.appendingPathComponent(".build/debug/intake").path
    }

    /// A fresh spool with a fast settle window, plus any extra configuration keys.
    init(base: String = NSTemporaryDirectory(), settleSeconds: Double = 0.4, workers: Int = 2, extraConfig: String = "") throws {
        root = (base.hasSuffix("/") ? base : base + "/") + "intake-e2e-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root + "/spool/inbox", withIntermediateDirectories: true)
        let config = """
            {
              poll_interval_seconds: 0.1,
              settle_seconds: \(settleSeconds),
              workers: \(workers),
              retry_base_seconds: 0.2,
              \(extraConfig)
            }
            """
        try config.write(toFile: spool + "/intake.json5", atomically: true, encoding: .utf8)
    }

    /// Starts `intake --spool SPOOL args...`; output goes to files in the temp folder.
    func start(_ arguments: [String], environment: [String: String] = [:]) throws -> Process {
        let process = Process()
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.executableURL = URL(fileURLWithPath: Harness.binary)
        process.arguments = ["--spool", spool] + arguments
        let log = root + "/intake-\(UUID().uuidString).log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: log)
        process.standardOutput = FileHandle(forWritingAtPath: log)
        try process.run()
        return process
    }

    /// Runs a command to completion; returns its exit status.
    @discardableResult
    func run(_ arguments: [String], environment: [String: String] = [:], timeout: Double = 120) throws -> Int32 {
        let process = try start(arguments, environment: environment)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning {
            process.terminate()
            Issue.record("intake \(arguments) did not finish within \(timeout) s")
        }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Runs a command and returns its exit status and everything it printed.
    func capture(_ arguments: [String], timeout: Double = 120) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Harness.binary)
        process.arguments = ["--spool", spool] + arguments
        let output = root + "/capture-\(UUID().uuidString).txt"
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: output)
        process.standardError = FileHandle(forWritingAtPath: output)
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return (process.terminationStatus, (try? String(contentsOfFile: output, encoding: .utf8)) ?? "")
    }

    func drop(_ contents: String, partner: String, name: String) throws {
        let folder = spool + "/inbox/" + partner
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try contents.write(toFile: folder + "/" + name, atomically: false, encoding: .utf8)
    }

    func exists(_ relative: String) -> Bool { FileManager.default.fileExists(atPath: spool + "/" + relative) }

    func contents(_ relative: String) throws -> String { try String(contentsOfFile: spool + "/" + relative, encoding: .utf8) }

    func manifest(partner: String, name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(spool)/outbox/\(partner)/\(name).result.json"))
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    /// Files left in `work/` (should be none once everything is delivered).
    func workFiles() -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: spool + "/work")
        var files: [String] = []
        while let name = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: spool + "/work/" + name, isDirectory: &isDirectory), !isDirectory.boolValue { files.append(name) }
        }
        return files
    }

    /// A read-only connection to the spool's database.
    func database() throws -> Connection {
        var options = Connection.Options()
        options.readOnly = true
        return try Connection(path: spool + "/intake.sqlite", options: options)
    }

    func count(_ sql: String) throws -> Int {
        Int(try database().fetchInt(sql) ?? -1)
    }

    /// Waits until `condition` holds; false on time-out.
    @discardableResult
    func wait(timeout: Double = 60, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return false
    }

    func cleanUp() {
        try? FileManager.default.removeItem(atPath: root)
    }
}

/// Writes claims files in layout v1 with chosen defects at chosen records.
enum ClaimsFile {
    static let header = "claim_id,line_no,partner_id,patient_id,patient_last,patient_first,dob,payer_id,payer_name,billing_npi,hcpcs,modifiers,icd10,dos_from,dos_to,units,charge_amount,notes"

    enum Defect { case npiCheckDigit, hcpcsFormat, dateRange }

    /// One record; `seed` varies the claim id so content differs between files.
    static func row(_ index: Int, partner: String, seed: String = "A", defect: Defect? = nil) -> String {
        let npi = defect == .npiCheckDigit ? "1234567890" : "1234567893"
        let hcpcs = defect == .hcpcsFormat ? "E060" : "E0601"
        let dates = defect == .dateRange ? "2026-03-31,2026-03-01" : "2026-03-01,2026-03-31"
        return "CLM\(seed)\(index),1,\(partner),M\(index),\"Smith, Jr.\",José,1950-01-02,MCR-JA,Medicare,\(npi),\(hcpcs),\"RR,KH\",G47.33,\(dates),1,250.00,\"note \"\"\(index)\"\"\""
    }

    static func make(rows: Int, partner: String, seed: String = "A", defects: [Int: Defect] = [:]) -> String {
        var text = header + "\n"
        for index in 1...rows {
            text += row(index, partner: partner, seed: seed, defect: defects[index]) + "\n"
        }
        return text
    }
}
