import XMLStream

/// Intake's own verdict on an XML file against an XSD: read every node with validation on.
enum XMLValidity {
    static func isValid(path: String, schema: String) throws -> Bool {
        do {
            let reader = try XMLStreamReader(path: path, schemaPath: schema)
            while try reader.next() != nil {}
            return true
        } catch {
            if error.code == .schemaUnusable || error.code == .cannotOpen { throw error }
            return false
        }
    }
}
