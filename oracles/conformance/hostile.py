"""Registers a system whose public text holds every character that escaping gets wrong, through
the API as a provider and the regulator would, and checks that the Atom feed and the register's
CSV carry it unchanged (issue #25 items 2 and 4). `scripts/conformance` then runs the Atom and
CSV validators over the files this writes.

The text: `<`, `>`, `&` and a literal `&amp;`, `]]>` (ends a CDATA section), both quotes, a
comma, right-to-left override and embedding marks, Urdu, emoji with skin tone, zero-width
joiner and variation selector, and in the description a CRLF line break (a CSV field must be
quoted for it). Control characters are refused by the API, so none is sent.

Also checks that a draft is not in the public feed (only register changes are).

Usage: python hostile.py BASE_URL PROVIDER_TOKEN REGULATOR_TOKEN OUT_DIR
  Writes OUT_DIR/feeds/hostile.atom, OUT_DIR/csv/register.csv and the registration's event record
  to OUT_DIR/instances/. Prints nothing on success; exits 1 naming what differs.
"""
import csv
import io
import pathlib
import sys
import time
import xml.etree.ElementTree as ET

import httpx

HOSTILE = "<b>&amp; ]]> \"double\" 'single', \u202eRTL override\u202c \u200f\u0645\u06cc\u0632\u0627\u0646\u200e \U0001f469\U0001f3fd\u200d\u2696\ufe0f =1+2"
NAME = f"Conformance {HOSTILE}"
NAME_UR = f"\u0646\u0638\u0627\u0645 {HOSTILE}"
DESCRIPTION = f"Line one, {HOSTILE}\r\nline two: \"quoted\" <x/> & ]]>"
REASON = f"registered with hostile text {HOSTILE}"
ATOM = "{http://www.w3.org/2005/Atom}"

RECORD = {
    "name": {"en": NAME, "ur": NAME_UR},
    "short_description": DESCRIPTION,
    "sector": "finance", "purpose": "conformance testing", "intended_use": "testing",
    "deployment_context": "a conformance check", "affected_persons": "nobody", "legal_basis": "none",
    "human_oversight": "always", "appeals_mechanism": "write to us", "data_development": "synthetic",
    "data_operational": "synthetic", "model_type": "none", "risk_management": "reviewed",
    "contact_email": "ai@conformance.example.pk", "deployment_status": "pilot", "languages": ["en", "ur"],
}
# A system that is not AI, at impact level I: the regulator registers it without the ethics board.
RISK = {"is_ai_system": "no"}
IMPACT = {
    "decision_type": "informs_human", "reversibility": "easily", "duration": "brief", "rights_affected": "no",
    "vulnerable_groups": "no", "personal_data": "none", "scale": "under_1k", "opacity": "fully",
    "human_review": "all", "bias_testing": "continuously", "appeal_route": "yes", "logging": "yes",
}


def main() -> int:
    base, provider, regulator, out = sys.argv[1], sys.argv[2], sys.argv[3], pathlib.Path(sys.argv[4])
    http = httpx.Client(base_url=base, timeout=30)
    as_provider = {"Authorization": f"Bearer {provider}"}
    as_regulator = {"Authorization": f"Bearer {regulator}"}

    def call(method: str, path: str, body, headers, want: int):
        res = http.request(method, path, json=body, headers=headers)
        if res.status_code != want:
            raise SystemExit(f"hostile text: {method} {path} gave {res.status_code}, expected {want}: {res.text[:500]}")
        return res.json()

    sid = call("POST", "/api/v1/org/systems", RECORD, as_provider, 201)["id"]
    call("PUT", f"/api/v1/org/systems/{sid}/risk-answers", RISK, as_provider, 200)
    call("PUT", f"/api/v1/org/systems/{sid}/impact-answers", IMPACT, as_provider, 200)
    if sid in http.get("/api/v1/changes.atom").text:
        raise SystemExit(f"hostile text: the draft `{sid}` is in the public Atom feed")
    call("POST", f"/api/v1/org/systems/{sid}/transitions", {"to": "submitted"}, as_provider, 200)
    call("POST", f"/api/v1/regulator/systems/{sid}/transitions", {"to": "under_review", "reason": "taking it up"}, as_regulator, 200)
    call("POST", f"/api/v1/regulator/systems/{sid}/transitions", {"to": "registered", "reason": REASON}, as_regulator, 200)

    # The feed: the registration's entry reads back as sent.
    feed = http.get("/api/v1/changes.atom")
    feed.raise_for_status()
    (out / "feeds").mkdir(parents=True, exist_ok=True)
    (out / "feeds" / "hostile.atom").write_bytes(feed.content)
    entries = [e for e in ET.fromstring(feed.content).iter(f"{ATOM}entry")
               if e.find(f"{ATOM}link").get("href", "").endswith(f"/register/{sid}")]
    if not entries:
        raise SystemExit(f"hostile text: no entry for `{sid}` in the Atom feed")
    entry = entries[0]
    for tag, want in [("title", f"{NAME}: registered (version 1)"), ("summary", REASON)]:
        got = entry.findtext(f"{ATOM}{tag}")
        if got != want:
            raise SystemExit(f"hostile text: the feed's {tag} reads {got!r}, sent {want!r}")

    # The events log's record of that registration (validated against mizan-event-1 later).
    event_id = entry.findtext(f"{ATOM}id").rsplit(":", 1)[-1]
    for _ in range(120):  # the events log publishes a checkpoint every quarter second or so
        proof = call("GET", f"/api/v1/events/{event_id}/proof", None, {}, 200)
        if proof.get("event_json"):
            break
        time.sleep(0.25)
    else:
        raise SystemExit(f"hostile text: event {event_id} has no `event_json` after 30 s: {proof}")
    (out / "instances").mkdir(parents=True, exist_ok=True)
    (out / "instances" / f"event-{event_id}.mizan-event-1.json").write_text(proof["event_json"])

    # The register's CSV: the row reads back as sent (strictness is check-csv.cjs's job).
    table = http.get("/api/v1/register.csv")
    table.raise_for_status()
    (out / "csv").mkdir(parents=True, exist_ok=True)
    (out / "csv" / "register.csv").write_bytes(table.content)
    rows = [r for r in csv.DictReader(io.StringIO(table.content.decode("utf-8-sig"), newline="")) if r["id"] == sid]
    if len(rows) != 1:
        raise SystemExit(f"hostile text: register.csv has {len(rows)} rows for `{sid}`")
    for column, want in [("name_en", NAME), ("name_ur", NAME_UR), ("short_description_en", DESCRIPTION)]:
        if rows[0][column] != want:
            raise SystemExit(f"hostile text: register.csv's {column} reads {rows[0][column]!r}, sent {want!r}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SystemExit as stop:
        if isinstance(stop.code, str):
            print(f"hostile text: FAILED: {stop.code.removeprefix('hostile text: ')}")
            sys.exit(1)
        raise
