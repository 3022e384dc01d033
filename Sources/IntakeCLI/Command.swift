import Foundation
import IntakeCore

/// Options every command takes.
public struct GlobalOptions: Sendable {
    public var spool: Spool
    public var configPath: String?

    /// Reads `--spool DIR` (default `./spool`, or `$INTAKE_SPOOL`) and `--config FILE`
    /// (default `<spool>/intake.json5` when it exists).
    static func parse(_ arguments: inout Arguments) throws(UsageError) -> GlobalOptions {
        let root = try arguments.option("--spool") ?? ProcessInfo.processInfo.environment["INTAKE_SPOOL"] ?? "spool"
        let absolute = root.hasPrefix("/") ? root : FileManager.default.currentDirectoryPath + "/" + root
        return GlobalOptions(spool: Spool(root: absolute), configPath: try arguments.option("--config"))
    }

    /// The configuration in force: the named file, the spool's own, or the embedded defaults.
    func loadConfig() throws -> IntakeConfig {
        if let configPath { return try IntakeConfig.load(path: configPath) }
        if FileManager.default.fileExists(atPath: spool.configPath) { return try IntakeConfig.load(path: spool.configPath) }
        return IntakeConfig()
    }
}

/// A command: a name, a one-line abstract, its usage text, and `run`. Modelled on
/// swift-argument-parser's `ParsableCommand`, which we cannot depend on.
protocol IntakeCommand: Sendable {
    static var name: String { get }
    static var abstract: String { get }
    static var usage: String { get }
    /// Reads the command's own options; throws `UsageError` for anything wrong.
    init(arguments: inout Arguments, global: GlobalOptions) throws(UsageError)
    /// Returns the exit code.
    func run() async throws -> Int32
}

/// A failure the command explains itself (exit 1), as opposed to a usage error (exit 64).
struct CommandFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// The `intake` command line: dispatches to a command, maps errors to exit codes
/// (0 success, 1 failure, 64 usage).
public enum IntakeCommandLine {
    static let commands: [any IntakeCommand.Type] = [
        InitCommand.self, RunCommand.self, StatusCommand.self, SubmitCommand.self, ValidateCommand.self, BillCommand.self, StatementsCommand.self, EnqueueNoopCommand.self,
        JobsListCommand.self, JobsShowCommand.self, JobsCancelCommand.self, JobsRetryCommand.self, JobsDependCommand.self,
    ]

    public static func main(_ words: [String]) async -> Int32 {
        var arguments = Arguments(words)
        let wantsHelp = arguments.flag("--help") || arguments.flag("-h")
        let global: GlobalOptions
        do {
            global = try GlobalOptions.parse(&arguments)
        } catch {
            return usageFailure(error.message, usage: mainUsage)
        }
        var path: [String] = []
        var matched: (any IntakeCommand.Type)?
        while matched == nil, let word = arguments.positional() {
            path.append(word)
            matched = commands.first { $0.name == path.joined(separator: " ") }
            if matched == nil && !commands.contains(where: { $0.name.hasPrefix(path.joined(separator: " ") + " ") }) {
                return usageFailure("unknown command '\(path.joined(separator: " "))'", usage: mainUsage)
            }
        }
        guard let command = matched else {
            if wantsHelp || path.isEmpty {
                print(mainUsage)
                return wantsHelp ? 0 : 64
            }
            return usageFailure("'\(path.joined(separator: " "))' needs a subcommand", usage: mainUsage)
        }
        if wantsHelp {
            print("intake \(command.name): \(command.abstract)\n\n\(command.usage)")
            return 0
        }
        do {
            let instance = try command.init(arguments: &arguments, global: global)
            try arguments.finish()
            return try await instance.run()
        } catch let error as UsageError {
            return usageFailure(error.message, usage: "usage: \(command.usage)")
        } catch {
            try? FileHandle.standardError.write(contentsOf: Data("intake \(command.name): error: \(error)\n".utf8))
            return 1
        }
    }

    static var mainUsage: String {
        let lines = commands.map { "  \($0.name.padding(toLength: 12, withPad: " ", startingAt: 0)) \($0.abstract)" }
        return """
            intake: file-drop batch ingestion for HME/DME billing

            usage: intake [--spool DIR] [--config FILE] COMMAND [OPTIONS]

            commands:
            \(lines.joined(separator: "\n"))

            global options:
              --spool DIR     the spool folder (default ./spool, or $INTAKE_SPOOL)
              --config FILE   configuration (JSON5; default <spool>/intake.json5, else built-in defaults)
              --help          help for intake or for a command

            exit codes: 0 success, 1 failure, 64 usage error
            """
    }

    static func usageFailure(_ message: String, usage: String) -> Int32 {
        try? FileHandle.standardError.write(contentsOf: Data("intake: \(message)\n\(usage)\n".utf8))
        return 64
    }
}

/// Prints `value` as pretty, sorted JSON.
func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}
