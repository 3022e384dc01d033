// swift-tools-version:6.0
import PackageDescription

// Layers, bottom to top: C system libraries -> one thin Swift wrapper per C library ->
// IntakeCore (domain, formats, jobs, pipeline) -> IntakeCLI (commands) -> intake (main.swift).
// Only the wrapper modules import the C modules.
let package = Package(
    name: "Intake",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "intake", targets: ["intake"]),
    ],
    targets: [
        // C libraries from Debian, each only a module map and a shim header.
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
        .systemLibrary(name: "CLibArchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // Linux calls Swift's Glibc module hides (GNU extensions), as plain C functions.
        .target(name: "CSystemCalls"),

        // Thin wrappers: the only modules that see C types.
        .target(name: "SQLiteStore", dependencies: ["CSQLite"]),
        .target(name: "XMLStream", dependencies: ["CLibXML2"]),
        .target(name: "ArchiveSafe", dependencies: ["CLibArchive"]),
        .target(name: "Hashing", dependencies: ["CCrypto"]),

        // Domain, formats, jobs and the pipeline.
        .target(name: "IntakeCore", dependencies: ["SQLiteStore", "XMLStream", "ArchiveSafe", "Hashing", "CSystemCalls"],
                exclude: ["Schemas/claims-v1.xsd"]),
        // The command layer and the executable.
        .target(name: "IntakeCLI", dependencies: ["IntakeCore"]),
        .executableTarget(name: "intake", dependencies: ["IntakeCLI"]),

        .testTarget(name: "SQLiteStoreTests", dependencies: ["SQLiteStore"]),
        .testTarget(name: "WrapperTests", dependencies: ["XMLStream", "ArchiveSafe", "Hashing"]),
        .testTarget(name: "IntakeCoreTests", dependencies: ["IntakeCore"]),
        .testTarget(name: "EndToEndTests", dependencies: ["IntakeCore", "XMLStream"]),
    ],
    swiftLanguageModes: [.v6]
)
