#!/usr/bin/env python3
"""Deterministic generator of HME/DME claims files in "claims file layout v1" (DESIGN.md 8.1).

Python 3.11+, standard library only. The same arguments always produce the same bytes.

Usage:
    python3 Benchmarks/generate_claims.py --rows 1000 --seed 42 > claims.csv
    python3 Benchmarks/generate_claims.py --rows 1000 --bad-share 0.05 \\
        --out /tmp/claims.csv --expected /tmp/claims.expected.json
    python3 Benchmarks/generate_claims.py --target-bytes 2000000000 --out /tmp/big.csv
    python3 Benchmarks/generate_claims.py --rows 200 --format xml --out /tmp/claims.xml
    python3 Benchmarks/generate_claims.py --rows 20 --bad-at 5:npi.check_digit,12:date.range ...

Options: --rows N (default 1000) | --target-bytes B (about B bytes; overrides --rows) | --seed S
(default 42) | --bad-share F (default 0) | --bad-codes C1,C2 | --bad-at RECORD:CODE,... |
--partner P (default acme) | --out PATH (default stdout) | --format csv|xml | --expected PATH |
--line-ending lf|crlf | --bom | --columns C1,...,C18 (order and case of the header) |
--families cpap,bipap,oxygen,bed,mobility,nebulizer,diabetes | --multi-share F | --quirky-share F
| --note-share F | --min-date / --max-date (dates of service, default 2016-01-01..2026-10-31) |
--quiet. A one-line summary (rows, bytes, rows/s) goes to stderr.

Output: one row (CSV) or one <claim> element (XML) per claim line, columns
claim_id,line_no,partner_id,patient_id,patient_last,patient_first,dob,payer_id,payer_name,
billing_npi,hcpcs,modifiers,icd10,dos_from,dos_to,units,charge_amount,notes (order: --columns).
CSV follows RFC 4180 (fields holding a comma, quote, CR or LF are quoted, inner quotes doubled).
Patient names hold commas, quotes and accents; a few notes hold a newline, so a record may span
two physical lines. Most claims have one line, some two or three (same header fields, line_no
1..3); (claim_id, line_no) is unique in the file. Rows stream out in chunks: memory stays flat.

Bad rows (probability --bad-share per row, or placed with --bad-at) are single-line claims that
carry exactly one defect; every other rule of DESIGN.md 8.1 still holds for them. Codes:
    npi.check_digit  billing_npi: 10 digits starting with 1, wrong Luhn check digit
    hcpcs.format     hcpcs: "E060", "0601E", "EE601" style
    date.range       dos_from: dos_from after dos_to (both real dates, dob before both)
    units.range      units: "0", "10000" or "2.5"
    money.format     charge_amount: "-12.00", "1,200.00", "12.345" or "abc"
    icd10.format     icd10: "99.9", "G4", "U" style
    value.required   patient_id: empty
    date.format      dos_from or dos_to: "2026-02-30" or "03/15/2025" style

--expected PATH writes JSON: {"rows": N, "bad_rows": [{"line": L, "record": R, "code": C,
"column": COL, "value": V, "offset": O}, ...], "good_rows": G}. "line" is the 1-based physical
line of the record's first line (CSV header = line 1; XML: the line of the <claim> element),
"record" the 1-based data record number, "offset" the 0-based byte offset of the record's first
byte in the file (a BOM counts), "value" the raw (unescaped) bad value.
"""

from __future__ import annotations

import argparse
import calendar
import datetime as _dt
import json
import os
import sys
import tempfile
import time

import random

COLUMNS = (
    "claim_id", "line_no", "partner_id", "patient_id", "patient_last", "patient_first", "dob",
    "payer_id", "payer_name", "billing_npi", "hcpcs", "modifiers", "icd10", "dos_from", "dos_to",
    "units", "charge_amount", "notes",
)

BAD_CODES = (
    "npi.check_digit", "hcpcs.format", "date.range", "units.range",
    "money.format", "icd10.format", "value.required", "date.format",
)

# ---------------------------------------------------------------------------------------------
# Domain rules (used to build values and, in --self-check, to verify them)


def luhn_check_digit(payload: str) -> int:
    """Luhn check digit for `payload` (the digits before the check digit)."""
    total = 0
    for i, ch in enumerate(reversed(payload)):
        d = ord(ch) - 48
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10


def npi_is_valid(npi: str) -> bool:
    """NPI: 10 digits, first 1 or 2, Luhn check digit over "80840" + first 9 digits."""
    return (len(npi) == 10 and npi.isascii() and npi.isdigit() and npi[0] in "12"
            and luhn_check_digit("80840" + npi[:9]) == int(npi[9]))


def make_npi(first9: str) -> str:
    return first9 + str(luhn_check_digit("80840" + first9))


assert npi_is_valid("1234567893"), "NPI Luhn self-check failed: 1234567893 must be valid"
assert not npi_is_valid("1234567890"), "NPI Luhn self-check failed: 1234567890 must be invalid"


def csv_field(value: str) -> str:
    """RFC 4180 quoting: quote when the field holds a comma, quote, CR or LF."""
    if '"' in value:
        return '"' + value.replace('"', '""') + '"'
    if "," in value or "\n" in value or "\r" in value:
        return '"' + value + '"'
    return value


def xml_text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# ---------------------------------------------------------------------------------------------
# Value pools (raw values; rendered once per format)

PAYERS = (
    ("MCR-JA", "Medicare JA DME MAC", "mbi"),
    ("MCR-JB", "Medicare JB DME MAC", "mbi"),
    ("MCR-JC", "Medicare JC DME MAC", "mbi"),
    ("MCR-JD", "Medicare JD DME MAC", "mbi"),
    ("MCD-OH", "Ohio Department of Medicaid", "mcd"),
    ("MCD-TX", "Texas Medicaid & Healthcare Partnership", "mcd"),
    ("MCD-NY", "New York Medicaid (eMedNY)", "mcd"),
    ("BCBS-TX", "Blue Cross and Blue Shield of Texas", "com"),
    ("BCBS-IL", "Blue Cross and Blue Shield of Illinois", "com"),
    ("AETNA", "Aetna, Inc.", "com"),
    ("UHC", "UnitedHealthcare", "com"),
    ("CIGNA", "Cigna Healthcare", "com"),
    ("HUMANA", "Humana, Inc.", "com"),
    ("KAISER", "Kaiser Permanente", "com"),
)
PAYER_WEIGHTS = (14, 12, 14, 10, 6, 5, 5, 6, 4, 6, 7, 4, 5, 2)

LAST_PLAIN = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson",
    "Taylor", "Thomas", "Moore", "Martin", "Jackson", "Thompson", "White", "Harris", "Clark",
    "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Hill", "Green",
    "Adams", "Nelson", "Baker", "Hall", "Campbell", "Mitchell", "Carter", "Roberts", "Phillips",
    "Evans", "Turner", "Parker", "Collins", "Edwards", "Stewart", "Morris", "Murphy", "Cook",
    "Rogers", "Morgan", "Cooper", "Peterson", "Reed", "Bailey", "Kelly", "Howard", "Cox", "Ward",
    "Richardson", "Watson", "Brooks", "Wood", "James", "Bennett", "Gray", "Hughes", "Price",
    "Sanders", "Myers", "Long", "Ross", "Foster", "Nguyen", "Kim", "Patel", "Lopez", "Hernandez",
    "Gonzalez", "Perez", "Sanchez", "Ramirez", "Torres", "Rivera", "Flores", "Kowalski", "Novak",
)
LAST_QUIRKY = (
    "O'Brien", "O'Connor", "D'Angelo", "Smith, Jr.", "Johnson, Sr.", "Williams, III", "Brown, Jr.",
    "Müller", "García", "Núñez", "Peña", "Ibáñez", "Søren", "Kowalczyk-Nowak", "Lefèvre",
    "Gómez", "Böhm", "Çelik", "Martínez", "de la Cruz", "Van der Berg", "St. John",
    "Davis, Jr.", "Rodríguez", "Ó Súilleabháin", "Jones \"Skip\"",
)
FIRST_PLAIN = (
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
    "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
    "Charles", "Karen", "Daniel", "Nancy", "Matthew", "Lisa", "Anthony", "Betty", "Mark",
    "Margaret", "Donald", "Sandra", "Steven", "Ashley", "Paul", "Dorothy", "Andrew", "Kimberly",
    "Joshua", "Emily", "Kenneth", "Donna", "Kevin", "Michelle", "Brian", "Carol", "George",
    "Amanda", "Edward", "Helen", "Ronald", "Ruth", "Harold", "Gloria", "Walter", "Evelyn", "Ann",
)
FIRST_QUIRKY = (
    "José", "Zoë", "Renée", "François", "Chloé", "Agnès", "Jürgen", "Björn", "Inés", "Ángel",
    "Noël", "María José", "Mary Ann", "Robert \"Bob\"", "Margaret \"Peggy\"", "Jean-Luc",
    "Siobhán", "Łukasz", "Anne-Marie", "William \"Bill\", Jr.",
)

# Service-line families: ICD-10 codes and items (hcpcs, modifier choices, (units lo, hi), unit price).
FAMILIES = (
    ("cpap", 30, ("G47.33", "G47.30", "G47.31", "G47.39"), (
        ("E0601", ("RR,KH", "RR,KI", "RR,KJ", "RR,KJ,KX", "NU"), (1, 1), 98.00),
        ("E0562", ("RR,KH", "RR,KI", "RR,KJ", "NU"), (1, 1), 32.50),
        ("A7030", ("NU", "NU,KX"), (1, 1), 168.00),
        ("A7034", ("NU", "NU,KX"), (1, 1), 112.50),
        ("A7035", ("NU",), (1, 1), 32.00),
        ("A7037", ("NU",), (1, 1), 28.00),
        ("A4604", ("NU",), (1, 1), 54.00),
        ("A7038", ("NU",), (2, 6), 4.25),
        ("A7039", ("NU",), (1, 2), 11.00),
    )),
    ("bipap", 8, ("G47.33", "J96.11", "G47.31", "J44.1", "G12.21", "E66.2"), (
        ("E0470", ("RR,KH", "RR,KI", "RR,KJ", "RR,KH,KX"), (1, 1), 265.00),
        ("E0471", ("RR,KH", "RR,KI", "RR,KJ", "RR,KJ,KX,GA"), (1, 1), 612.00),
        ("A7030", ("NU",), (1, 1), 168.00),
        ("A4604", ("NU",), (1, 1), 54.00),
    )),
    ("oxygen", 24, ("J44.1", "J44.9", "J96.11", "J96.21", "J84.10", "I50.9", "I27.20"), (
        ("E1390", ("RR", "RR,QE", "RR,QG", "RR,QF"), (1, 1), 208.00),
        ("E0431", ("RR",), (1, 1), 31.00),
        ("E1392", ("RR",), (1, 1), 52.00),
        ("E0443", ("RR",), (1, 1), 27.50),
        ("A4615", ("NU",), (1, 4), 2.10),
        ("A4616", ("NU",), (10, 50), 0.20),
    )),
    ("bed", 12, ("M17.11", "I50.9", "G35", "G20", "M62.81", "I69.351", "S72.001A", "G30.9"), (
        ("E0260", ("RR,KH", "RR,KI", "RR,KJ", "RR,KJ,KX"), (1, 1), 152.00),
        ("E0277", ("RR,KH", "RR,KI", "RR,KJ"), (1, 1), 680.00),
        ("E0143", ("NU", "RR,KH"), (1, 1), 108.00),
        ("E0163", ("NU",), (1, 1), 98.50),
    )),
    ("mobility", 14, ("M17.11", "M16.11", "G81.94", "S72.001A", "R26.89", "M62.81", "I63.9"), (
        ("K0001", ("RR,KH", "RR,KI", "RR,KJ", "NU", "NU,KX"), (1, 1), 95.00),
        ("K0003", ("RR,KH", "RR,KI", "NU"), (1, 1), 118.00),
        ("E0114", ("NU",), (1, 1), 42.00),
        ("E0143", ("NU",), (1, 1), 108.00),
        ("E0135", ("NU",), (1, 1), 86.00),
    )),
    ("nebulizer", 7, ("J44.9", "J45.909", "J44.1", "J47.9", "E84.0"), (
        ("E0570", ("NU", "RR,KH", "RR,KI"), (1, 1), 64.00),
        ("A7003", ("NU",), (1, 2), 4.10),
        ("A7015", ("NU",), (1, 2), 3.50),
        ("J7613", ("",), (90, 540), 0.12),
        ("J7626", ("",), (60, 120), 1.35),
        ("A4216", ("",), (30, 1200), 0.60),
    )),
    ("diabetes", 5, ("E11.9", "E11.65", "E10.9", "E11.22", "O24.419"), (
        ("A4253", ("NU", "NU,KX"), (1, 3), 36.00),
        ("A4259", ("NU",), (1, 3), 16.00),
        ("A4233", ("NU",), (1, 2), 1.10),
        ("E2100", ("NU",), (1, 1), 280.00),
    )),
)

# Notes: texts for any line, and texts that fit one product family. {m}: month 1-13,
# {M}: month 1-36, {d}: a date in range, {n}: a number 10-99.
NOTE_TEXTS = (
    "DWO received {d}; F2F visit documented",
    "Delivered by tech #{n}, POD signed",
    "Called patient, left voicemail",
    "Prior auth #PA{n}{n} approved",
    "Billed per fee schedule, see contract {n}",
    "Secondary payer on file; crossover expected",
    "ABN signed {d} (GA)",
    "Per Dr. Patel, continue therapy",
    "Family member (daughter) signed, relationship verified",
    "Address changed; new delivery zone {n}",
)
NOTE_MULTI = (
    "Delivered {d}.\nSetup and education done by RT",
    "Line 1: patient moved\nLine 2: new address verified",
    "Called twice, no answer,\nwill retry Monday",
)
FAMILY_NOTES = {
    "cpap": ("Resupply per 90-day schedule", "Patient reports \"mask leaks\" at night",
             "Compliance download: {n}% of nights >= 4h", "Swap requested, mask size M -> L",
             "Rental month {m} of 13", "Mask refit \"medium\"\nfollow-up in 30 days"),
    "bipap": ("Compliance download: {n}% of nights >= 4h", "Rental month {m} of 13",
              "Settings per titration study, RT visit scheduled"),
    "oxygen": ("Oxygen rental month {M} of 36", "CMN on file, signed {d}",
               "Qualifying SpO2 88% on room air, at rest", "Portable cylinders delivered, qty {n}",
               "Recertification due; CMN \"revised\" sent to MD"),
    "bed": ("Rental month {m} of 13", "Replacement, old unit \"beyond repair\"",
            "Pickup scheduled, equipment returned {d}", "Warranty replacement, serial SN{n}{n}{n}"),
    "mobility": ("Rental month {m} of 13", "Seat width 18\", standard back",
                 "Pickup scheduled, equipment returned {d}", "Warranty replacement, serial SN{n}{n}{n}"),
    "nebulizer": ("Resupply per 90-day schedule", "Meds dispensed per Rx, 30-day supply",
                  "Pharmacy review done; NDC on file"),
    "diabetes": ("Resupply per 90-day schedule", "Testing 3x/day per Rx, log on file"),
}


PAT_BITS, TPL_BITS, DATE_BITS, NOTE_BITS = 14, 12, 13, 11
PATIENTS, TEMPLATES, DATES, NOTES = 1 << PAT_BITS, 1 << TPL_BITS, 1 << DATE_BITS, 1 << NOTE_BITS


class Pools:
    """Every random value the generator writes, drawn once from the seeded RNG."""

    def __init__(self, rng: random.Random, min_date: _dt.date, max_date: _dt.date,
                 quirky_share: float, note_share: float, families: tuple[str, ...] = ()):
        self.min_ord = min_date.toordinal()
        self.max_ord = max_date.toordinal()
        r = rng.random
        ri = rng.randint

        # Billing NPIs: the partner's supplier locations (first digit 1 = individual, 2 = org).
        # Pool sizes are powers of two so that an index is one getrandbits() call.
        self.npis = []
        for _ in range(32):
            first9 = str(ri(1, 2)) + "".join(str(ri(0, 9)) for _ in range(8))
            self.npis.append(make_npi(first9))

        # Patients with their payer (member id format follows payer kind).
        payer_cum = []
        acc = 0
        for w in PAYER_WEIGHTS:
            acc += w
            payer_cum.append(acc)
        mbi_alpha = "ACDEFGHJKMNPQRTUVWXY"
        mbi_alnum = mbi_alpha + "0123456789"
        dob_lo = _dt.date(1924, 1, 1).toordinal()
        dob_hi = min(_dt.date(2008, 12, 31).toordinal(), self.min_ord - 1)
        self.patients = []
        self.patient_npi = []
        for _ in range(PATIENTS):
            x = r() * acc
            pi = 0
            while payer_cum[pi] <= x:
                pi += 1
            payer_id, payer_name, kind = PAYERS[pi]
            if kind == "mbi":
                ch = rng.choice
                pid = (str(ri(1, 9)) + ch(mbi_alpha) + ch(mbi_alnum) + str(ri(0, 9)) + ch(mbi_alpha)
                       + ch(mbi_alnum) + str(ri(0, 9)) + ch(mbi_alpha) + ch(mbi_alpha)
                       + str(ri(0, 9)) + str(ri(0, 9)))
            elif kind == "mcd":
                pid = payer_id[-2:] + "%010d" % ri(0, 9999999999)
            else:
                pid = rng.choice(("W", "XJ", "H", "U", "ZGP")) + "%09d" % ri(0, 999999999)
            last = rng.choice(LAST_QUIRKY) if r() < quirky_share else rng.choice(LAST_PLAIN)
            first = rng.choice(FIRST_QUIRKY) if r() < quirky_share else rng.choice(FIRST_PLAIN)
            if r() < 0.01:
                first = ""  # optional column, sometimes left empty
            # Medicare members are mostly 65+; others any age.
            lo = dob_lo if kind == "mbi" else _dt.date(1940, 1, 1).toordinal()
            hi = _dt.date(1960, 12, 31).toordinal() if kind == "mbi" else dob_hi
            hi = min(hi, dob_hi)
            dob = _dt.date.fromordinal(ri(lo, hi)).isoformat()
            self.patients.append((pid, last, first, dob, payer_id, payer_name))
            self.patient_npi.append(ri(0, len(self.npis) - 1))

        # Service-line templates: a family's ICD-10 code and up to 3 distinct items.
        fams = [f for f in FAMILIES if not families or f[0] in families]
        fam_cum = []
        acc = 0
        for fam in fams:
            acc += fam[1]
            fam_cum.append(acc)
        self.templates = []
        self.template_family = []
        for _ in range(TEMPLATES):
            x = r() * acc
            fi = 0
            while fam_cum[fi] <= x:
                fi += 1
            _, _, icds, items = fams[fi]
            icd = rng.choice(icds)
            if r() < 0.2:
                icd = icd.replace(".", "")
            chosen = rng.sample(items, min(3, len(items)))
            lines = []
            for hcpcs, mods, (ulo, uhi), price in chosen:
                units = ri(ulo, uhi)
                cents = round(units * price * 100 * (0.9 + 0.25 * r()))
                if r() < 0.3:
                    cents -= cents % 100  # whole dollars
                elif r() < 0.3:
                    cents -= cents % 10   # one decimal
                cents = max(cents, 1)
                d, c = divmod(cents, 100)
                if c == 0 and r() < 0.5:
                    money = str(d)
                elif c % 10 == 0 and r() < 0.5:
                    money = "%d.%d" % (d, c // 10)
                else:
                    money = "%d.%02d" % (d, c)
                lines.append((hcpcs, rng.choice(mods), icd, str(units), money))
            self.templates.append(lines)
            self.template_family.append(fi)

        # Dates of service: rentals span a month, purchases and supplies one day.
        self.dates = []
        for _ in range(DATES):
            frm = ri(self.min_ord, self.max_ord)
            if r() < 0.45:
                d = _dt.date.fromordinal(frm).replace(day=1)
                frm = max(d.toordinal(), self.min_ord)
                to = frm + ri(27, 30)
            elif r() < 0.2:
                to = frm + ri(1, 14)
            else:
                to = frm
            to = min(to, self.max_ord)
            self.dates.append((_dt.date.fromordinal(frm).isoformat(),
                               _dt.date.fromordinal(to).isoformat()))

        # Notes, one pool per family: empty for most lines, text with commas and quotes for
        # some, a newline for a few.
        self.notes = []
        for fam in fams:
            texts = FAMILY_NOTES.get(fam[0], ())
            pool = []
            for _ in range(NOTES):
                if r() >= note_share:
                    pool.append("")
                    continue
                if r() < 0.025:
                    multi = NOTE_MULTI + tuple(t for t in texts if "\n" in t)
                    t = rng.choice(multi)
                else:
                    t = self._note_text(rng, texts)
                    if r() < 0.35:
                        u = self._note_text(rng, texts)
                        if u != t:
                            t = t + "; " + u
                while "{" in t:
                    i = t.index("{")
                    key = t[i + 1]
                    if key == "m":
                        v = str(ri(1, 13))
                    elif key == "M":
                        v = str(ri(1, 36))
                    elif key == "d":
                        v = _dt.date.fromordinal(ri(self.min_ord, self.max_ord)).isoformat()
                    else:
                        v = str(ri(10, 99))
                    t = t[:i] + v + t[i + 3:]
                pool.append(t)
            self.notes.append(pool)

    @staticmethod
    def _note_text(rng: random.Random, texts: tuple[str, ...]) -> str:
        single = [t for t in texts if "\n" not in t]
        if single and rng.random() < 0.5:
            return rng.choice(single)
        return rng.choice(NOTE_TEXTS)


# ---------------------------------------------------------------------------------------------
# Rendering


class Renderer:
    """Renders raw values into CSV or XML text, with pre-rendered segments for the fast path."""

    def __init__(self, fmt: str, columns: tuple[str, ...], eol: str):
        self.fmt = fmt
        self.columns = columns
        self.eol = eol
        self.fast = columns == COLUMNS
        if fmt == "csv":
            self.prefix = ""
            self.suffix = eol
        else:
            self.prefix = "<claim>"
            self.suffix = "</claim>" + eol

    def field(self, name: str, value: str, last: bool = False) -> str:
        if self.fmt == "csv":
            return csv_field(value) if last else csv_field(value) + ","
        return "<%s>%s</%s>" % (name, xml_text(value), name)

    def seg(self, names: tuple[str, ...], values: tuple[str, ...]) -> str:
        return "".join(self.field(n, v, n == "notes") for n, v in zip(names, values))

    def record(self, rec: dict) -> str:
        cols = self.columns
        if self.fmt == "csv":
            body = ",".join(csv_field(rec[c]) for c in cols)
        else:
            body = "".join(self.field(c, rec[c]) for c in cols)
        return self.prefix + body + self.suffix

    def file_head(self) -> str:
        if self.fmt == "csv":
            return ",".join(self.columns) + self.eol
        return '<?xml version="1.0" encoding="UTF-8"?>' + self.eol + "<claims>" + self.eol

    def file_tail(self) -> str:
        return "" if self.fmt == "csv" else "</claims>" + self.eol


# ---------------------------------------------------------------------------------------------
# Bad rows


def make_bad(rng: random.Random, pools: Pools, rec: dict, code: str) -> tuple[str, str]:
    """Give `rec` exactly one defect of kind `code`; returns (column, raw bad value)."""
    ri = rng.randint
    ch = rng.choice
    lo, hi = pools.min_ord, pools.max_ord
    iso = lambda o: _dt.date.fromordinal(o).isoformat()  # noqa: E731
    if code == "npi.check_digit":
        first9 = "1" + "".join(str(ri(0, 9)) for _ in range(8))
        good = luhn_check_digit("80840" + first9)
        bad = (good + ri(1, 9)) % 10
        rec["billing_npi"] = first9 + str(bad)
        return "billing_npi", rec["billing_npi"]
    if code == "hcpcs.format":
        h = rec["hcpcs"]
        v = ch((h[:4], h[1:] + h[0], h[0] + h[0] + h[2:], h[0] + h[2:]))
        rec["hcpcs"] = v
        return "hcpcs", v
    if code == "date.range":
        gap = ri(1, max(1, min(45, hi - lo)))
        to = ri(lo, hi - gap)
        frm = to + gap
        rec["dos_from"], rec["dos_to"] = iso(frm), iso(to)
        return "dos_from", rec["dos_from"]
    if code == "units.range":
        rec["units"] = ch(("0", "10000", "2.5", "12000"))
        return "units", rec["units"]
    if code == "money.format":
        d = ri(1, 9999)
        c = ri(0, 99)
        k = ri(0, 3)
        if k == 0:
            v = "-%d.%02d" % (d, c)
        elif k == 1:
            d = ri(1000, 99999)
            v = "{:,}.{:02d}".format(d, c)
        elif k == 2:
            v = "%d.%03d" % (d, ri(1, 999))
            if v.endswith("0"):
                v = v[:-1] + "5"
        else:
            v = ch(("abc", "N/A", "$"))
        rec["charge_amount"] = v
        return "charge_amount", v
    if code == "icd10.format":
        v = ch(("99.9", "47.33", "G4", "J4", "U", "E"))
        rec["icd10"] = v
        return "icd10", v
    if code == "value.required":
        rec["patient_id"] = ""
        return "patient_id", ""
    if code == "date.format":
        # A non-date, with the other date of service chosen so that the intended date would
        # still satisfy from <= to: no second defect if a reader guesses the intent.
        d = _dt.date.fromordinal(ri(lo, hi))
        if r_bool(rng):
            # The day after the month's last day: "2026-02-29", "2025-04-31", "2024-02-30".
            last = calendar.monthrange(d.year, d.month)[1]
            v = "%04d-%02d-%02d" % (d.year, d.month, last + 1)
            meant = min(d.replace(day=last).toordinal(), hi)
        else:
            v = "%02d/%02d/%04d" % (d.month, d.day, d.year)  # US order: "03/15/2025"
            meant = d.toordinal()
        if r_bool(rng):
            rec["dos_from"] = v
            rec["dos_to"] = iso(min(hi, meant + ri(0, 30)))
            return "dos_from", v
        rec["dos_to"] = v
        rec["dos_from"] = iso(max(lo, meant - ri(0, 30)))
        return "dos_to", v
    raise ValueError("unknown bad code %r" % code)


def r_bool(rng: random.Random) -> bool:
    return rng.random() < 0.5


# ---------------------------------------------------------------------------------------------
# Generation


def parse_bad_at(spec: str) -> dict[int, str]:
    out: dict[int, str] = {}
    if not spec:
        return out
    for item in spec.split(","):
        item = item.strip()
        if not item:
            continue
        rec, _, code = item.partition(":")
        if code not in BAD_CODES:
            raise SystemExit("--bad-at: unknown code %r (known: %s)" % (code, ", ".join(BAD_CODES)))
        out[int(rec)] = code
    return out


def generate(args: argparse.Namespace, out, expected_tmp) -> dict:
    rng = random.Random(args.seed)
    r = rng.random
    rb = rng.getrandbits
    min_date = _dt.date.fromisoformat(args.min_date)
    max_date = _dt.date.fromisoformat(args.max_date)
    if not _dt.date(2000, 1, 1) < min_date < max_date:
        raise SystemExit("--min-date must be after 2000-01-01 and before --max-date")
    families = tuple(f.strip() for f in args.families.split(",") if f.strip())
    unknown = set(families) - {f[0] for f in FAMILIES}
    if unknown:
        raise SystemExit("--families: unknown %s (known: %s)"
                         % (", ".join(sorted(unknown)), ", ".join(f[0] for f in FAMILIES)))
    pools = Pools(rng, min_date, max_date, args.quirky_share, args.note_share, families)
    columns = tuple(c.strip() for c in args.columns.split(",")) if args.columns else COLUMNS
    if sorted(c.lower() for c in columns) != sorted(COLUMNS):
        raise SystemExit("--columns must name each of the 18 columns once: %s" % ",".join(COLUMNS))
    eol = "\r\n" if args.line_ending == "crlf" else "\n"
    rd = Renderer(args.format, tuple(c.lower() for c in columns), eol)
    fast = rd.fast
    head_text = (",".join(columns) + eol) if args.format == "csv" else rd.file_head()

    partner = args.partner
    # Pre-rendered segments for the fast path (layout order): partner + patient + npi,
    # service line before and after the dates, dates, notes.
    pat_seg = [rd.field("partner_id", partner) + rd.seg(COLUMNS[3:9], p)
               + rd.field("billing_npi", pools.npis[pools.patient_npi[i]])
               for i, p in enumerate(pools.patients)]
    tpl_seg = [[(rd.seg(COLUMNS[10:13], (h, m, i)), rd.seg(COLUMNS[15:17], (u, c)))
                for h, m, i, u, c in t] for t in pools.templates]
    date_seg = [rd.seg(COLUMNS[13:15], d) for d in pools.dates]
    fam_note_seg = [[rd.field("notes", n, last=True) for n in pool] for pool in pools.notes]
    tpl_notes = [fam_note_seg[f] for f in pools.template_family]
    ln_seg = [rd.field("line_no", str(i)) for i in range(1, 4)]
    if args.format == "csv":
        cid_fmt = "CLM%09d,"
    else:
        cid_fmt = "<claim><claim_id>CLM%09d</claim_id>"
    suffix = rd.suffix

    # Lines per good claim: table indexed by 7 random bits.
    multi = args.multi_share
    n2 = round(128 * multi * 0.7)
    n3 = round(128 * multi) - n2
    ktab = [2] * n2 + [3] * n3 + [1] * (128 - n2 - n3)
    mean_lines = sum(ktab) / 128
    p = args.bad_share
    p_claim = p * mean_lines / (1 - p + p * mean_lines) if p > 0 else 0.0
    bad_codes = tuple(c.strip() for c in args.bad_codes.split(",")) if args.bad_codes else BAD_CODES
    for c in bad_codes:
        if c not in BAD_CODES:
            raise SystemExit("--bad-codes: unknown code %r" % c)
    forced = parse_bad_at(args.bad_at)
    forced_sorted = sorted(forced) + [1 << 62]
    forced_i = 0
    next_forced = forced_sorted[0]

    target_bytes = args.target_bytes
    max_rows = (1 << 62) if target_bytes else args.rows
    if next_forced <= (1 << 61) and next_forced > max_rows:
        raise SystemExit("--bad-at: record %d is beyond --rows" % next_forced)

    written = 0
    lines = 0  # physical lines written so far (newline count)
    if args.bom:
        out.write(b"\xef\xbb\xbf")
        written += 3
    hb = head_text.encode("utf-8")
    out.write(hb)
    written += len(hb)
    lines += hb.count(b"\n")

    buf: list[str] = []
    append = buf.append
    records = 0
    bad_count = 0
    claim_no = rng.randint(100000, 900000) * 100
    chunk = 2048
    pat_mask, tpl_mask = (1 << PAT_BITS) - 1, (1 << TPL_BITS) - 1
    tpl_shift, date_shift = PAT_BITS, PAT_BITS + TPL_BITS
    pick_bits = PAT_BITS + TPL_BITS + DATE_BITS

    def flush() -> None:
        nonlocal written, lines
        if buf:
            b = "".join(buf).encode("utf-8")
            buf.clear()
            out.write(b)
            written += len(b)
            lines += b.count(b"\n")

    def raw_record(pi: int, ti: int, j: int, di: int, ni: int) -> dict:
        pat = pools.patients[pi]
        tl = pools.templates[ti][j]
        frm, to = pools.dates[di]
        return {
            "claim_id": "CLM%09d" % claim_no, "line_no": str(j + 1), "partner_id": partner,
            "patient_id": pat[0], "patient_last": pat[1], "patient_first": pat[2], "dob": pat[3],
            "payer_id": pat[4], "payer_name": pat[5],
            "billing_npi": pools.npis[pools.patient_npi[pi]], "hcpcs": tl[0], "modifiers": tl[1],
            "icd10": tl[2], "dos_from": frm, "dos_to": to, "units": tl[3], "charge_amount": tl[4],
            "notes": pools.notes[pools.template_family[ti]][ni],
        }

    while records < max_rows:
        if target_bytes and written >= target_bytes:
            break
        # One claim: claim numbers rise with occasional gaps.
        claim_no += 1 if rb(4) else 2 + rb(5)
        v = rb(pick_bits)
        pi = v & pat_mask
        ti = (v >> tpl_shift) & tpl_mask
        di = v >> date_shift
        if records + 1 == next_forced or (p_claim and r() < p_claim):
            if records + 1 == next_forced:
                code = forced[next_forced]
                forced_i += 1
                next_forced = forced_sorted[forced_i]
            else:
                code = bad_codes[int(r() * len(bad_codes))]
            rec = raw_record(pi, ti, 0, di, rb(NOTE_BITS))
            column, value = make_bad(rng, pools, rec, code)
            flush()
            records += 1
            bad_count += 1
            entry = {"line": lines + 1, "record": records, "code": code, "column": column,
                     "value": value, "offset": written}
            if expected_tmp is not None:
                expected_tmp.write(json.dumps(entry, ensure_ascii=False) + "\n")
            append(rd.record(rec))
            continue
        k = ktab[rb(7)]
        if records + k > max_rows:
            k = max_rows - records
        if records + k >= next_forced:
            k = next_forced - records - 1  # >= 1: the forced record itself was handled above
        tpl = tpl_seg[ti]
        if fast:
            head = cid_fmt % claim_no
            mid = pat_seg[pi]
            dseg = date_seg[di]
            note_seg = tpl_notes[ti]
            pre, post = tpl[0]
            append(f"{head}{ln_seg[0]}{mid}{pre}{dseg}{post}{note_seg[rb(NOTE_BITS)]}{suffix}")
            if k > 1:
                pre, post = tpl[1]
                append(f"{head}{ln_seg[1]}{mid}{pre}{dseg}{post}{note_seg[rb(NOTE_BITS)]}{suffix}")
                if k > 2:
                    pre, post = tpl[2]
                    append(f"{head}{ln_seg[2]}{mid}{pre}{dseg}{post}{note_seg[rb(NOTE_BITS)]}{suffix}")
        else:
            for j in range(k):
                append(rd.record(raw_record(pi, ti, j, di, rb(NOTE_BITS))))
        records += k
        if len(buf) >= chunk:
            flush()
            if target_bytes:
                per_row = written / max(records, 1)
                left = int((target_bytes - written) / per_row) if per_row else chunk
                chunk = max(1, min(2048, left))
    flush()
    tb = rd.file_tail().encode("utf-8")
    if tb:
        out.write(tb)
        written += len(tb)
    if next_forced < (1 << 61):
        raise SystemExit("--bad-at: record %d is beyond the generated rows" % next_forced)
    return {"rows": records, "bad": bad_count, "bytes": written}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description="Generate a deterministic HME/DME claims file (layout v1, DESIGN.md 8.1).",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--rows", type=int, default=1000, help="data rows to write (default 1000)")
    ap.add_argument("--seed", type=int, default=42, help="RNG seed (default 42)")
    ap.add_argument("--bad-share", type=float, default=0.0,
                    help="probability that a row is bad, e.g. 0.01 (default 0)")
    ap.add_argument("--bad-codes", default="",
                    help="comma-separated codes that random bad rows draw from (default: all)")
    ap.add_argument("--bad-at", default="",
                    help="force bad records: RECORD:CODE[,RECORD:CODE...] (1-based record numbers)")
    ap.add_argument("--partner", default="acme", help="partner_id value (default acme)")
    ap.add_argument("--out", default="-", help="output path (default stdout)")
    ap.add_argument("--format", choices=("csv", "xml"), default="csv")
    ap.add_argument("--target-bytes", type=int, default=0,
                    help="write rows until the output reaches about this many bytes (overrides --rows)")
    ap.add_argument("--expected", default="", help="write the expected-outcome JSON here")
    ap.add_argument("--line-ending", choices=("lf", "crlf"), default="lf",
                    help="record separator (default lf; newlines inside notes stay LF)")
    ap.add_argument("--bom", action="store_true", help="start the file with a UTF-8 BOM")
    ap.add_argument("--columns", default="",
                    help="comma-separated column order/case for the header (default: layout order)")
    ap.add_argument("--multi-share", type=float, default=0.2,
                    help="share of good claims with 2-3 lines (default 0.2)")
    ap.add_argument("--quirky-share", type=float, default=0.08,
                    help="share of names with commas/quotes/accents/apostrophes (default 0.08)")
    ap.add_argument("--note-share", type=float, default=0.5,
                    help="share of lines with a note (default 0.5)")
    ap.add_argument("--families", default="",
                    help="product families to draw lines from (default all): "
                    + ",".join(f[0] for f in FAMILIES))
    ap.add_argument("--min-date", default="2016-01-01", help="earliest date of service")
    ap.add_argument("--max-date", default="2026-10-31", help="latest date of service")
    ap.add_argument("--quiet", action="store_true", help="no summary on stderr")
    args = ap.parse_args(argv)
    if args.rows < 0 or not (0.0 <= args.bad_share <= 1.0):
        ap.error("--rows must be >= 0 and --bad-share in [0, 1]")

    t0 = time.perf_counter()
    out = sys.stdout.buffer if args.out == "-" else open(args.out, "wb", buffering=1 << 20)
    exp_tmp = None
    if args.expected:
        exp_tmp = tempfile.TemporaryFile("w+", encoding="utf-8")
    try:
        stats = generate(args, out, exp_tmp)
    finally:
        if out is not sys.stdout.buffer:
            out.close()
        else:
            out.flush()
    if exp_tmp is not None:
        exp_tmp.seek(0)
        tmp_path = args.expected + ".tmp"
        with open(tmp_path, "w", encoding="utf-8") as f:
            f.write('{\n  "rows": %d,\n  "bad_rows": [' % stats["rows"])
            first = True
            for line in exp_tmp:
                f.write(("\n    " if first else ",\n    ") + line.rstrip("\n"))
                first = False
            f.write(("\n  " if not first else "") + '],\n  "good_rows": %d\n}\n'
                    % (stats["rows"] - stats["bad"]))
        os.replace(tmp_path, args.expected)
        exp_tmp.close()
    dt = time.perf_counter() - t0
    if not args.quiet:
        rows = stats["rows"]
        print("generate_claims: %d rows (%d bad), %d bytes (%.1f B/row), %.2f s, %.0f rows/s"
              % (rows, stats["bad"], stats["bytes"], stats["bytes"] / max(rows, 1), dt,
                 rows / dt if dt else 0), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
