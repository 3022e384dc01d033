// Generated from claims-v1.xsd beside this file; a test checks that the two agree.

/// The XSD of the XML claims layout v1, embedded so the binary needs no resource bundle.
enum ClaimsSchema {
    static let v1 = """
<?xml version="1.0" encoding="UTF-8"?>
<!-- Intake claims layout v1 as XML: one <claim> per service line, children named like the CSV
     columns, in any order. The structure is checked here; the field rules (NPI check digit,
     HCPCS, dates, money ...) are Intake's own and are reported with their own error codes. -->
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" elementFormDefault="qualified">
  <xs:simpleType name="text">
    <xs:restriction base="xs:string"><xs:maxLength value="2000"/></xs:restriction>
  </xs:simpleType>
  <xs:element name="claims">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="claim" minOccurs="0" maxOccurs="unbounded">
          <xs:complexType>
            <xs:all>
              <xs:element name="claim_id" type="text" minOccurs="1"/>
              <xs:element name="line_no" type="text" minOccurs="0"/>
              <xs:element name="partner_id" type="text" minOccurs="1"/>
              <xs:element name="patient_id" type="text" minOccurs="1"/>
              <xs:element name="patient_last" type="text" minOccurs="0"/>
              <xs:element name="patient_first" type="text" minOccurs="0"/>
              <xs:element name="dob" type="text" minOccurs="1"/>
              <xs:element name="payer_id" type="text" minOccurs="1"/>
              <xs:element name="payer_name" type="text" minOccurs="0"/>
              <xs:element name="billing_npi" type="text" minOccurs="1"/>
              <xs:element name="hcpcs" type="text" minOccurs="1"/>
              <xs:element name="modifiers" type="text" minOccurs="0"/>
              <xs:element name="icd10" type="text" minOccurs="0"/>
              <xs:element name="dos_from" type="text" minOccurs="1"/>
              <xs:element name="dos_to" type="text" minOccurs="1"/>
              <xs:element name="units" type="text" minOccurs="1"/>
              <xs:element name="charge_amount" type="text" minOccurs="1"/>
              <xs:element name="notes" type="text" minOccurs="0"/>
              <xs:element name="rental_month" type="text" minOccurs="0"/>
              <xs:element name="diagnoses" type="text" minOccurs="0"/>
              <xs:element name="diagnosis_pointers" type="text" minOccurs="0"/>
            </xs:all>
          </xs:complexType>
        </xs:element>
      </xs:sequence>
    </xs:complexType>
  </xs:element>
</xs:schema>
"""
}
