#!/usr/bin/env python3
"""Writes the evaluation set of mizan-pii: crates/mizan-pii/tests/data/eval/columns.csv.

Long format, one value per row: `column_name,value,label`, label a kind id of mizan-pii
(`cnic`, `ntn`, `mobile-phone`, `landline`, `iban`, `email`, `payment-card`, `ip-address`,
`person-name`) or `none`. Rows with the same column_name form one column.

Every value is synthetic: CNICs are random digits in the documented structure (province digit,
locality, serial, gender digit), not anyone's number; names are combinations of common names;
e-mail domains are example domains or public providers with random local parts; cards are
random numbers completed with a Luhn digit; IPs are random (IPv6 under 2001:db8::/32).

Two parts:
1. Positives from a seeded generator (random.Random(20251207)), about 130 per kind, in the
   written forms people use, under column names in English and Urdu (and a few header-less
   columns, which only value share can flag).
2. TRICKY: hand-labelled negatives written literally below, one comment per case.

Python 3.11, standard library only. Run from the repository root:
    python3 oracles/pii/generate_eval.py
"""

import csv
import ipaddress
import random
import sys
from pathlib import Path

SEED = 20251207
OUT = Path("crates/mizan-pii/tests/data/eval/columns.csv")
R = random.Random(SEED)

URDU_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def digits(n):
    return "".join(R.choice("0123456789") for _ in range(n))


def luhn_complete(body):
    """body + the Luhn check digit."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:  # will be doubled once the check digit is appended
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return body + str((10 - total % 10) % 10)


def luhn_ok(number):
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def ean13_complete(body12):
    s = sum(int(c) * (1 if i % 2 == 0 else 3) for i, c in enumerate(body12))
    return body12 + str((10 - s % 10) % 10)


def iban_mod97(iban):
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97


def pk_iban(bank):
    bban = bank + digits(16)
    check = 98 - iban_mod97("PK00" + bban)
    return f"PK{check:02d}{bban}"


# --- generators of positives -------------------------------------------------------------

def cnic_digits(province=None):
    p = province or R.choice("1234567")
    return p + digits(4) + digits(7) + R.choice("0123456789")


def cnic(form):
    d = cnic_digits()
    if form == "dashed":
        return f"{d[:5]}-{d[5:12]}-{d[12]}"
    if form == "spaced":
        return f"{d[:5]} {d[5:12]} {d[12]}"
    if form == "urdu":
        return f"{d[:5]}-{d[5:12]}-{d[12]}".translate(URDU_DIGITS)
    return d


def ntn(form):
    if form == "dashed":
        return f"{digits(7)}-{R.choice('0123456789')}"
    if form == "plain8":
        return digits(8)
    if form == "plain7":
        return R.choice("123456789") + digits(6)
    return cnic_digits()  # individuals' NTN is their CNIC number


MOBILE_PREFIXES = ["300", "301", "302", "303", "304", "305", "306", "307", "308", "309",
                   "310", "311", "312", "313", "314", "315", "316", "317", "318", "320",
                   "321", "322", "323", "324", "330", "331", "332", "333", "334", "335",
                   "336", "340", "341", "342", "343", "344", "345", "346", "347", "348",
                   "349", "355", "364", "370"]


def mobile(form):
    p, s = R.choice(MOBILE_PREFIXES), digits(7)
    return {
        "plain": f"0{p}{s}",
        "dash": f"0{p}-{s}",
        "space": f"0{p} {s}",
        "space3": f"0{p} {s[:3]} {s[3:]}",
        "plus": f"+92{p}{s}",
        "plus_space": f"+92 {p} {s}",
        "plus_dash": f"+92-{p}-{s}",
        "plus_zero": f"+92 (0){p} {s}",
        "0092": f"0092{p}{s}",
        "0092_space": f"0092 {p} {s}",
        "92": f"92{p}{s}",
        "92_space": f"92 {p} {s}",
        "paren": f"(0{p}) {s}",
        "no_zero": f"{p}{s}",  # a spreadsheet dropped the leading 0: needs the column name
    }[form]


# (area code, subscriber digits)
AREAS = [("21", 8), ("42", 8), ("51", 7), ("91", 7), ("81", 7), ("41", 7), ("22", 7),
         ("61", 7), ("52", 7), ("55", 7), ("62", 7), ("71", 7), ("992", 6), ("937", 6),
         ("946", 6), ("5822", 5), ("48", 7), ("66", 7)]


def landline(form):
    area, n = R.choice(AREAS)
    sub = R.choice("23456789") + digits(n - 1)
    return {
        "dash": f"0{area}-{sub}",
        "plain": f"0{area}{sub}",
        "space": f"0{area} {sub}",
        "paren": f"(0{area}) {sub}",
        "plus": f"+92 {area} {sub}",
        "plus_dash": f"+92-{area}-{sub}",
        "0092": f"0092-{area}-{sub}",
        "plus_compact": f"+92{area}{sub}",
    }[form]


BANKS = ["HABB", "MUCB", "UNIL", "ABPA", "MEZN", "SCBL", "BAHL", "ALFH", "NBPA", "BKIP",
         "FAYS", "SONE", "JSBL", "KHYB", "DUIB", "BPUN", "SUMB", "HMBL"]


def iban(form):
    v = pk_iban(R.choice(BANKS))
    if form == "spaced":
        return " ".join(v[i:i + 4] for i in range(0, 24, 4))
    if form == "lower":
        return v.lower()
    return v


FIRST = ["Muhammad", "Ahmed", "Ali", "Hassan", "Usman", "Bilal", "Imran", "Zahid", "Ayesha",
         "Fatima", "Sana", "Hira", "Zainab", "Maryam", "Asad", "Farhan", "Kamran", "Nadia",
         "Saima", "Rabia", "Shahid", "Waqar", "Junaid", "Iqra", "Mehwish", "Abdul", "Gul",
         "Noor", "Shazia", "Tariq"]
LAST = ["Khan", "Ahmed", "Malik", "Qureshi", "Butt", "Chaudhry", "Shah", "Baloch", "Khattak",
        "Awan", "Siddiqui", "Rana", "Mirza", "Abbasi", "Memon", "Jatoi", "Bugti", "Yousafzai",
        "Sheikh", "Hussain"]
URDU_NAMES = ["محمد", "علی", "احمد", "حسن", "فاطمہ", "عائشہ", "خان", "ملک", "قریشی", "زینب",
              "عمران", "بلال", "صدیقی", "بٹ", "شاہ"]
EMAIL_DOMAINS = ["gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "example.pk",
                 "mail.example.gov.pk", "example.edu.pk", "example.com.pk", "proton.me"]


def name(form):
    f, l = R.choice(FIRST), R.choice(LAST)
    if form == "two":
        return f"{f} {l}"
    if form == "three":
        return f"{f} {R.choice(FIRST)} {l}"
    if form == "initial":
        return f"{f[0]}. {R.choice(FIRST)} {l}"
    if form == "upper":
        return f"{f} {l}".upper()
    if form == "one":
        return f
    return " ".join(R.choice(URDU_NAMES) for _ in range(R.randint(2, 3)))


def email(form):
    f, l = R.choice(FIRST).lower(), R.choice(LAST).lower()
    local = {
        "dot": f"{f}.{l}",
        "num": f"{f}{R.randint(1, 9999)}",
        "under": f"{f}_{l}{R.randint(1, 99)}",
        "plus": f"{f}+{R.choice(['bank', 'news', 'x'])}",
        "caps": f"{f.capitalize()}.{l.capitalize()}",
    }[form]
    return f"{local}@{R.choice(EMAIL_DOMAINS)}"


def card(form):
    kind = R.choice(["visa", "visa", "mc", "mc2", "amex", "discover", "unionpay", "paypak",
                     "jcb", "visa19"])
    if kind == "visa":
        n = luhn_complete("4" + digits(14))
    elif kind == "visa19":
        n = luhn_complete("4" + digits(17))
    elif kind == "mc":
        n = luhn_complete(f"5{R.randint(1, 5)}" + digits(13))
    elif kind == "mc2":
        n = luhn_complete(str(R.randint(2221, 2720)) + digits(11))
    elif kind == "amex":
        n = luhn_complete(R.choice(["34", "37"]) + digits(12))
    elif kind == "discover":
        n = luhn_complete(R.choice(["6011", "65" + digits(2)]) + digits(11))
    elif kind == "unionpay":
        n = luhn_complete("62" + digits(R.choice([13, 16])))
    elif kind == "paypak":
        n = luhn_complete("2205" + digits(11))
    else:
        n = luhn_complete(str(R.randint(3528, 3589)) + digits(11))
    assert luhn_ok(n)
    if form == "plain":
        return n
    sep = " " if form == "spaced" else "-"
    if len(n) == 15:
        return sep.join([n[:4], n[4:10], n[10:]])
    return sep.join(n[i:i + 4] for i in range(0, len(n), 4))


def ip(form):
    if form == "v4":
        return ".".join(str(R.randint(1 if i == 0 else 0, 255)) for i in range(4))
    if form == "v4port":
        return ".".join(str(R.randint(1, 255)) for _ in range(4)) + f":{R.randint(1, 65535)}"
    groups = [R.randint(0, 0xFFFF) for _ in range(6)]
    if form == "v6zero":
        groups[2:4] = [0, 0]
    addr = ipaddress.IPv6Address((0x20010DB8 << 96) | int("".join(f"{g:04x}" for g in groups), 16))
    return addr.exploded if form == "v6full" else addr.compressed


def gen(column, label, fn, forms, n):
    return [(column, fn(forms[i % len(forms)]), label) for i in range(n)]


POSITIVES = []
P = POSITIVES.extend
P(gen("cnic", "cnic", cnic, ["dashed", "plain"], 40))
P(gen("CNIC No.", "cnic", cnic, ["dashed", "plain", "spaced"], 20))
P(gen("شناختی کارڈ نمبر", "cnic", cnic, ["dashed", "urdu", "plain"], 20))
P(gen("applicantCnic", "cnic", cnic, ["plain"], 15))
P(gen("id_card", "cnic", cnic, ["plain", "dashed"], 15))
P(gen("nic", "cnic", cnic, ["plain"], 10))
P(gen("col_a", "cnic", cnic, ["dashed"], 15))       # no name: dashes suffice
P(gen("col_b", "cnic", cnic, ["plain"], 25))        # no name: only the column's value share
P(gen("ntn", "ntn", ntn, ["dashed", "plain7", "plain8"], 50))
P(gen("NTN No", "ntn", ntn, ["dashed", "plain8"], 30))
P(gen("tax_number", "ntn", ntn, ["cnic", "dashed"], 20))
P(gen("این ٹی این", "ntn", ntn, ["dashed", "plain7"], 15))
P(gen("col_c", "ntn", ntn, ["dashed"], 15))
mob_forms = ["plain", "dash", "space", "space3", "plus", "plus_space", "plus_dash", "plus_zero",
             "0092", "0092_space", "92", "92_space", "paren"]
P(gen("mobile", "mobile-phone", mobile, mob_forms, 50))
P(gen("contact_no", "mobile-phone", mobile, mob_forms, 26))
P(gen("موبائل نمبر", "mobile-phone", mobile, ["plain", "dash"], 15))
P(gen("cellNo", "mobile-phone", mobile, ["no_zero", "plain"], 20))
P(gen("col_d", "mobile-phone", mobile, mob_forms, 26))
ll_forms = ["dash", "plain", "space", "paren", "plus", "plus_dash", "0092", "plus_compact"]
P(gen("landline", "landline", landline, ll_forms, 48))
P(gen("office_phone", "landline", landline, ll_forms, 32))
P(gen("فون", "landline", landline, ["dash"], 10))
P(gen("col_e", "landline", landline, ll_forms, 24))
P(gen("iban", "iban", iban, ["compact", "spaced"], 50))
P(gen("bank_account", "iban", iban, ["compact", "spaced", "lower"], 30))
P(gen("اکاؤنٹ نمبر", "iban", iban, ["compact"], 10))
P(gen("col_f", "iban", iban, ["compact", "spaced"], 20))
em_forms = ["dot", "num", "under", "plus", "caps"]
P(gen("email", "email", email, em_forms, 50))
P(gen("ای میل", "email", email, em_forms, 20))
P(gen("contactEmail", "email", email, em_forms, 20))
P(gen("col_g", "email", email, em_forms, 30))
P(gen("card_number", "payment-card", card, ["plain", "spaced", "dashed"], 60))
P(gen("credit_card", "payment-card", card, ["spaced", "plain"], 30))
P(gen("col_h", "payment-card", card, ["plain", "spaced", "dashed"], 30))
ip_forms = ["v4", "v4", "v6", "v6zero", "v6full", "v4port"]
P(gen("ip", "ip-address", ip, ip_forms, 40))
P(gen("client_ip", "ip-address", ip, ip_forms, 30))
P(gen("IP Address", "ip-address", ip, ip_forms, 20))
P(gen("col_i", "ip-address", ip, ip_forms, 30))
nm_forms = ["two", "three", "initial", "upper", "one", "urdu"]
P(gen("name", "person-name", name, nm_forms, 40))
P(gen("full_name", "person-name", name, nm_forms, 25))
P(gen("fatherName", "person-name", name, nm_forms, 25))
P(gen("نام", "person-name", name, ["urdu"], 15))
P(gen("والد کا نام", "person-name", name, ["urdu"], 10))
P(gen("applicant_name", "person-name", name, nm_forms, 15))

# Generated negatives: numbers that are plentiful in real uploads and share a positive's shape.
GENERATED_NEGATIVES = []
# EAN-13 barcodes of German (400-440) products: their first digit is a valid province digit.
GENERATED_NEGATIVES += [("barcode", ean13_complete(str(R.randint(400, 440)) + digits(9)), "none")
                        for _ in range(25)]
# Order ids of 13 random digits starting 1-7: CNIC-shaped, but the column says otherwise.
GENERATED_NEGATIVES += [("order_id", R.choice("1234567") + digits(12), "none") for _ in range(25)]
# Times in milliseconds since 1970 (2024-2025): 13 digits starting 17.
GENERATED_NEGATIVES += [("created_ms", str(R.randint(1_704_067_200_000, 1_767_225_599_999)), "none")
                        for _ in range(25)]
# Bank account numbers (not IBANs) of 16 digits starting 4 or 5: some pass Luhn by chance.
GENERATED_NEGATIVES += [("account_number", R.choice("45") + digits(15), "none") for _ in range(25)]
# 7-digit figures (population, amounts) in columns that do not say NTN.
GENERATED_NEGATIVES += [("population", str(R.randint(1_000_000, 9_999_999)), "none") for _ in range(20)]

# --- hand-labelled tricky negatives ------------------------------------------------------
# (column_name, value, why it is not personal data of any kind we recognise)
TRICKY = [
    # Other countries' phone numbers, with their country codes, in a phone column.
    ("phone_intl", "+44 20 7946 0958", "UK landline (Ofcom drama range)"),
    ("phone_intl", "+44 7700 900123", "UK mobile (drama range)"),
    ("phone_intl", "+1 202 555 0143", "US number"),
    ("phone_intl", "+1-212-555-0199", "US number, dashed"),
    ("phone_intl", "+971 50 123 4567", "UAE mobile"),
    ("phone_intl", "+971 4 123 4567", "Dubai landline"),
    ("phone_intl", "00971501234567", "UAE mobile with 00 prefix"),
    ("phone_intl", "0044 20 7946 0958", "UK with 00 prefix"),
    ("phone_intl", "+966 50 123 4567", "Saudi mobile"),
    ("phone_intl", "+91 98765 43210", "Indian mobile"),
    ("phone_intl", "+93 70 123 4567", "Afghan mobile"),
    ("phone_intl", "0093 70 123 4567", "Afghan mobile with 00 prefix"),
    ("phone_intl", "+86 138 0013 8000", "Chinese mobile"),
    ("phone_intl", "+49 30 123456", "Berlin landline"),
    ("phone_intl", "+1 300 123 4567", "North American number whose area code starts 3"),
    # Organisation numbers: UAN (111), toll-free (0800), premium (0900), short codes.
    ("helpline", "111-123-456", "UAN"),
    ("helpline", "111 786 786", "UAN, spaced"),
    ("helpline", "021-111-123-456", "UAN with Karachi area code"),
    ("helpline", "+92 42 111 222 333", "UAN with country and Lahore code"),
    ("helpline", "0800-12345", "toll-free"),
    ("helpline", "0900-78601", "premium rate"),
    ("helpline", "1122", "Rescue 1122"),
    ("helpline", "15", "police"),
    # Phone-column values that are not phones.
    ("mobile", "03801234567", "no operator uses 038"),
    ("mobile", "0300123456", "one digit short"),
    ("mobile", "030012345678", "one digit long"),
    ("mobile", "4001234567", "10 digits not starting 3 (not a dropped-zero mobile)"),
    ("mobile", "N/A", "placeholder"),
    # Bank account numbers that are not IBANs.
    ("account_no", "0010012345670018", "Allied-style 16-digit account"),
    ("account_no", "1234-5678901-234", "dashed branch-account-suffix"),
    ("account_no", "01234567890123", "14-digit account"),
    ("account_no", "000123456789", "12-digit account"),
    ("account_no", "2002-7890123-01", "account with dashes"),
    ("account_no", "4000123412341234", "16 digits starting 4, Luhn valid: an account column"),
    # 13-digit numbers that are no CNIC.
    ("barcode", "8964000123457", "EAN-13, Pakistan's GS1 prefix 896"),
    ("barcode", "4006381333931", "EAN-13, German prefix: province digit 4 but a barcode"),
    ("barcode", "5012345678900", "EAN-13, UK prefix"),
    ("order_id", "1733500012345", "order id"),
    ("cnic", "0520212345671", "CNIC-shaped, leading 0 is no province"),
    ("cnic", "8520212345671", "CNIC-shaped, leading 8 is no province"),
    ("cnic", "9520212345673", "CNIC-shaped, leading 9 is no province"),
    ("cnic_check", "05202-1234567-1", "dashed, leading 0"),
    ("cnic_check", "85202-1234567-1", "dashed, leading 8"),
    ("cnic_check", "95202-1234567-3", "dashed, leading 9"),
    ("cnic_check", "352021-234567-1", "13 digits in the wrong groups"),
    ("cnic_check", "35202-1234567", "12 digits"),
    ("created_ms", "1733500000000", "Unix time in milliseconds"),
    # Dates and times.
    ("date", "2025-01-13", "ISO date"),
    ("date", "13/01/2025", "day/month/year"),
    ("date", "01/13/2025", "month/day/year"),
    ("date", "13-01-2025", "dashed date"),
    ("date", "13.01.2025", "dotted date (not an IP: 2025 > 255)"),
    ("date", "2025/01/13", "year first, slashes"),
    ("date", "20250113", "compact date: 8 digits, no NTN context"),
    ("date", "2025-01-13T10:30:00Z", "timestamp"),
    ("date", "13 January 2025", "date in words, not a name column"),
    ("time", "10:30", "time"),
    ("time", "10:30:45", "time with seconds"),
    ("time", "23:59:59.999", "time with fraction"),
    # Version strings. Decision: a dotted quad in a column named version/build/release is a
    # version, not an IP; in a column that says nothing it would be taken as an IPv4 address.
    ("version", "1.2.3", "three-part version"),
    ("version", "1.2.3.4", "four-part version, IPv4-shaped"),
    ("version", "10.0.0.1", "four-part version that is a private IP's shape"),
    ("version", "2.0.0.255", "four-part version"),
    ("build", "10.0.19045.1234", "Windows build"),
    # Amounts and figures.
    ("amount", "140,000", "amount with thousands separator"),
    ("amount", "1,234,567.89", "amount with decimals"),
    ("amount", "PKR 85000", "amount with currency"),
    ("amount", "Rs. 3,500", "amount with Rs."),
    ("amount", "0.0000001765625", "fraction"),
    ("amount", "1.5e6", "scientific notation"),
    ("amount", "85000", "plain amount"),
    # Postal codes.
    ("postal_code", "54000", "Lahore"),
    ("postal_code", "74200", "Karachi"),
    ("postal_code", "44000", "Islamabad"),
    # Payment-card-shaped but not cards.
    ("card_number", "4111111111111112", "Luhn fails"),
    ("card_number", "5500000000000005", "Luhn fails"),
    ("card_number", "4111 1111 1111 1113", "Luhn fails, spaced"),
    ("card_number", "1111222233334444", "no issuer starts 1"),
    ("imei", "490154203237518", "IMEI: 15 digits, Luhn valid, no card issuer range"),
    # IBANs of other countries and PK-shaped IBANs with a wrong check.
    ("iban", "GB82WEST12345698765432", "UK IBAN"),
    ("iban", "DE89370400440532013000", "German IBAN"),
    ("iban", "AE070331234567890123456", "UAE IBAN"),
    ("iban", "PK37SCBL0000001123456702", "PK shape, check digits off by one"),
    ("iban", "PK36SCBL0000001123456703", "PK shape, last digit changed"),
    ("iban", "PK36SCB10000001123456702", "PK, digit in the bank code"),
    ("iban", "PK36SCBL000000112345670", "PK, 23 characters"),
    # E-mail look-alikes.
    ("email", "me@localhost", "no domain suffix"),
    ("email", "user@", "no domain"),
    ("email", "a..b@example.pk", "double dot"),
    ("twitter_handle", "@mizan_pk", "social handle"),
    # IP look-alikes.
    ("ip", "256.1.1.1", "octet over 255"),
    ("ip", "192.168.1", "three octets"),
    ("ip", "01.2.3.4", "leading zero (ambiguous octal)"),
    ("mac_address", "00:1A:2B:3C:4D:5E", "MAC address"),
    # Words that are not people's names.
    ("district", "Lahore", "district"),
    ("district", "Karachi Central", "district"),
    ("district", "Dera Ghazi Khan", "district"),
    ("district", "لاہور", "district in Urdu"),
    ("district", "Kech", "district"),
    ("district_name", "Multan", "the name of a district"),
    ("bank_name", "Habib Bank Limited", "the name of a bank"),
    ("city", "Islamabad", "city"),
    ("product_name", "Basmati Rice 5kg", "product"),
    ("remarks", "Verified by field officer", "free words, no name column"),
    ("name", "N/A", "placeholder in a name column"),
    ("name", "-", "placeholder in a name column"),
    ("full_name", "12345", "digits in a name column"),
    # Other identifiers that are no kind we recognise.
    ("vehicle_no", "LEA-1234", "vehicle registration"),
    ("quantity", "1234567", "7 digits, no NTN column"),
    ("ntn", "N/A", "placeholder in an NTN column"),
    ("ntn", "123456", "6 digits, too short"),
]


def main():
    rows = POSITIVES + GENERATED_NEGATIVES + [(c, v, "none") for c, v, _ in TRICKY]
    labels = {r[2] for r in rows}
    for label in sorted(labels - {"none"}):
        n = sum(1 for r in rows if r[2] == label)
        assert n >= 100, (label, n)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["column_name", "value", "label"])
        w.writerows(rows)
    print(f"wrote {len(rows)} rows to {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
