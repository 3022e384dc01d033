internal import CCrypto

/// Why a digest could not be computed. OpenSSL fails here only if it is broken or out of memory.
public struct HashingError: Error, CustomStringConvertible, Sendable {
    public let operation: String
    public let detail: String
    public var description: String { "SHA-256 \(operation) failed: \(detail)" }
}

/// Incremental SHA-256 over OpenSSL's EVP interface: feed bytes as they are read, then
/// `finalize()` once. Not `Sendable`; one owner feeds it. The EVP context is freed in `deinit`.
public final class SHA256Hasher {
    private let context: OpaquePointer
    private var isFinalized = false

    public init() throws {
        guard let context = EVP_MD_CTX_new() else {
            throw HashingError(operation: "init", detail: Self.lastOpenSSLError())
        }
        guard EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else {
            EVP_MD_CTX_free(context)
            throw HashingError(operation: "init", detail: Self.lastOpenSSLError())
        }
        self.context = context
    }

    deinit {
        EVP_MD_CTX_free(context)
    }

    public func update(_ bytes: UnsafeRawBufferPointer) throws {
        guard !isFinalized else { throw HashingError(operation: "update", detail: "already finalized") }
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        guard EVP_DigestUpdate(context, base, bytes.count) == 1 else {
            throw HashingError(operation: "update", detail: Self.lastOpenSSLError())
        }
    }

    public func update(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try update($0) }
    }

    /// The digest as 64 lowercase hex characters.
    public func finalize() throws -> String {
        guard !isFinalized else { throw HashingError(operation: "final", detail: "already finalized") }
        isFinalized = true
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        guard EVP_DigestFinal_ex(context, &digest, &length) == 1, length == 32 else {
            throw HashingError(operation: "final", detail: Self.lastOpenSSLError())
        }
        return hex(digest)
    }

    /// SHA-256 of a whole byte array, for small inputs and tests.
    public static func hexDigest(of bytes: [UInt8]) throws -> String {
        let hasher = try SHA256Hasher()
        try hasher.update(bytes)
        return try hasher.finalize()
    }

    private static func lastOpenSSLError() -> String {
        let code = ERR_get_error()
        guard code != 0 else { return "unknown OpenSSL error" }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

private func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    out.reserveCapacity(bytes.count * 2)
    for byte in bytes {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0x0f)])
    }
    return String(decoding: out, as: UTF8.self)
}
