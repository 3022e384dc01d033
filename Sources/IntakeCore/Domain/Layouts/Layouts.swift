/// The record layouts of the domain feeds, documented column by column in `Docs/feeds.md`.
public enum Layouts {
    public static func layout(for kind: JobKindName) -> RecordLayout? {
        switch kind {
        case .patientsImport: return patients
        case .payersImport: return payers
        case .rentalsImport: return rentals
        case .feeScheduleImport: return feeSchedule
        case .remittanceImport: return remittances
        case .itemsImport: return items
        case .stockMovementsImport: return stockMovements
        case .inventoryCountImport: return inventoryCounts
        default: return nil
        }
    }

    public static let patients = RecordLayout(kind: .patientsImport, root: "patients", record: "patient", fields: [
        FieldSpec("patient_id", .text(maxBytes: 50)),
        FieldSpec("last_name"), FieldSpec("first_name"),
        FieldSpec("dob", .date),
        FieldSpec("payer_id", .text(maxBytes: 50)),
        FieldSpec("address_line", required: false, .text(maxBytes: 200)),
        FieldSpec("city", required: false), FieldSpec("state", required: false, .text(maxBytes: 20)),
        FieldSpec("zip", required: false, .text(maxBytes: 20)),
    ])

    public static let payers = RecordLayout(kind: .payersImport, root: "payers", record: "payer", fields: [
        FieldSpec("payer_id", .text(maxBytes: 50)),
        FieldSpec("name", .text(maxBytes: 200)),
        FieldSpec("kind", required: false, .choice(["medicare", "medicaid", "commercial"])),
    ])

    public static let rentals = RecordLayout(kind: .rentalsImport, root: "rentals", record: "rental", fields: [
        FieldSpec("rental_id", .text(maxBytes: 50)),
        FieldSpec("patient_id", .text(maxBytes: 50)),
        FieldSpec("payer_id", .text(maxBytes: 50)),
        FieldSpec("hcpcs", .hcpcs),
        FieldSpec("serial_number", required: false, .text(maxBytes: 100)),
        FieldSpec("start_date", .date),
        FieldSpec("purchase_price", required: false, .money(signed: false)),
        FieldSpec("fee_schedule", required: false, .flag),
        FieldSpec("status", .choice(["active", "paused", "returned"])),
        FieldSpec("status_date", required: false, .date),
        FieldSpec("pause_start", required: false, .date),
        FieldSpec("pause_end", required: false, .date),
        FieldSpec("billing_npi", .npi),
    ])

    public static let feeSchedule = RecordLayout(kind: .feeScheduleImport, root: "fee_schedule", record: "fee", fields: [
        FieldSpec("payer_id", .text(maxBytes: 50)),
        FieldSpec("hcpcs", .hcpcs),
        FieldSpec("modifier", required: false, .text(maxBytes: 2)),
        FieldSpec("allowed_amount", .money(signed: false)),
    ])

    public static let remittances = RecordLayout(kind: .remittanceImport, root: "remittances", record: "payment", fields: [
        FieldSpec("payer_id", .text(maxBytes: 50)),
        FieldSpec("payer_control_number", .text(maxBytes: 50)),
        FieldSpec("claim_id", .text(maxBytes: 50)),
        FieldSpec("patient_id", required: false, .text(maxBytes: 50)),
        FieldSpec("status", .choice(["1", "2", "3", "4", "22"])),
        FieldSpec("charge_amount", .money(signed: true)),
        FieldSpec("paid_amount", .money(signed: true)),
        FieldSpec("adjustments", required: false, .adjustments),
        FieldSpec("check_total", required: false, .money(signed: true)),
    ])

    public static let items = RecordLayout(kind: .itemsImport, root: "items", record: "item", fields: [
        FieldSpec("item_id", .text(maxBytes: 50)),
        FieldSpec("description", .text(maxBytes: 200)),
        FieldSpec("hcpcs", required: false, .hcpcs),
        FieldSpec("serialized", .flag),
        FieldSpec("reorder_point", .integer(0...1_000_000)),
        FieldSpec("max_level", .integer(0...1_000_000)),
        FieldSpec("unit_cost", required: false, .money(signed: false)),
    ])

    public static let stockMovements = RecordLayout(kind: .stockMovementsImport, root: "movements", record: "movement", fields: [
        FieldSpec("movement_id", .text(maxBytes: 50)),
        FieldSpec("warehouse_id", .text(maxBytes: 50)),
        FieldSpec("item_id", .text(maxBytes: 50)),
        FieldSpec("kind", .choice(["receipt", "shipment", "return", "adjustment"])),
        FieldSpec("quantity", .integer(-1_000_000...1_000_000)),
        FieldSpec("serial_number", required: false, .text(maxBytes: 100)),
        FieldSpec("movement_date", .date),
    ])

    public static let inventoryCounts = RecordLayout(kind: .inventoryCountImport, root: "counts", record: "count", fields: [
        FieldSpec("warehouse_id", .text(maxBytes: 50)),
        FieldSpec("item_id", .text(maxBytes: 50)),
        FieldSpec("serial_number", required: false, .text(maxBytes: 100)),
        FieldSpec("counted_quantity", .integer(0...1_000_000)),
        FieldSpec("count_date", .date),
    ])
}
