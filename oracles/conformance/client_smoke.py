"""Generates a Python client from Mizan's OpenAPI document with openapi-python-client (pinned in
requirements.txt), as a provider's developer would, and uses that client, and nothing else, to
list the register, log a decision for the demo bank's personal-loan system and read the
decision's receipt and explanation (issue #25 item 1).

The generator must understand every schema in the document: a warning other than "this media
type is not supported" (the generator reads and writes JSON only, so the Atom feed, the appeal
documents and the CSV upload of an audit have no typed response or body) fails the check.

Usage: python client_smoke.py OPENAPI_JSON BASE_URL PROVIDER_TOKEN OUT_DIR
  Writes the generated package to OUT_DIR/mizan_client and the receipt and explanation read
  through it to OUT_DIR/instances/ (for check_schemas.py). Prints one line; exits 1 on failure.
"""
import datetime
import importlib
import json
import os
import pathlib
import re
import subprocess
import sys
import time
from importlib.metadata import version

# The personal-loan system of `mizan serve --demo` (crates/mizan-app/src/demo.rs).
DEMO_ORG = "demo-indus-bank"
DEMO_SYSTEM = "Personal loan credit scoring"


def generate(doc: str, out: pathlib.Path) -> tuple[pathlib.Path, int]:
    """Runs the generator; returns the package directory and how many parts it left out because
    their media type is not JSON."""
    package = out / "mizan_client"
    env = dict(os.environ, PATH=f"{pathlib.Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    run = subprocess.run(
        [sys.executable, "-m", "openapi_python_client", "generate", "--path", doc,
         "--output-path", str(package), "--meta", "none", "--overwrite"],
        capture_output=True, text=True, env=env, check=False)
    log = run.stdout + run.stderr
    (out / "openapi-python-client.log").write_text(log)
    if run.returncode != 0:
        raise SystemExit(f"openapi-python-client failed (exit {run.returncode}):\n{log}")
    # Each problem is a line saying what was left out and why; only unsupported media types are
    # expected.
    reasons, where = [], ""
    for line in log.splitlines():
        if line.startswith("WARNING parsing "):
            where = line.removeprefix("WARNING parsing ").rstrip(".") + ": "
        elif re.match(r"(Cannot parse|Unable to|Could not|Invalid|Attempted|Unsupported)", line):
            reasons.append(where + re.sub(r"<[^>]* object at 0x[0-9a-f]+> ", "", line))
            where = ""
    unexpected = [r for r in reasons if "Unsupported content" not in r]
    if unexpected:
        raise SystemExit("openapi-python-client could not read parts of the document:\n  "
                         + "\n  ".join(unexpected) + f"\n(full output in {out / 'openapi-python-client.log'})")
    return package, len(reasons)


def main() -> int:
    doc, base, token, out = sys.argv[1], sys.argv[2], sys.argv[3], pathlib.Path(sys.argv[4])
    out.mkdir(parents=True, exist_ok=True)
    package, skipped = generate(doc, out)
    sys.path.insert(0, str(package.parent))
    mc = importlib.import_module(package.name)
    from mizan_client.api.decisions import api_explanation, log_decisions, receipt_status
    from mizan_client.api.provider import api_models
    from mizan_client.api.register import list_
    from mizan_client.models import DecisionIn, DecisionInFeatures, HumanIn, ListOut, Problem

    public = mc.Client(base_url=base, raise_on_unexpected_status=True)
    provider = mc.AuthenticatedClient(base_url=base, token=token, raise_on_unexpected_status=True)

    def ok(value, what):
        if isinstance(value, Problem) or value is None:
            raise SystemExit(f"{what}: {value.to_dict() if isinstance(value, Problem) else 'no body'}")
        return value

    # 1. The register, every page.
    systems, page = [], 1
    while True:
        listed = ok(list_.sync(client=public, page=page, per_page=50), "listing the register")
        assert isinstance(listed, ListOut)
        systems += listed.items
        if page * listed.per_page >= listed.total:
            break
        page += 1
    loan = next((s for s in systems if s.organisation.slug == DEMO_ORG and s.name.en == DEMO_SYSTEM), None)
    if loan is None:
        raise SystemExit(f"the register ({len(systems)} systems) has no `{DEMO_SYSTEM}` of `{DEMO_ORG}`")

    # 2. A decision, scored by the system's uploaded model.
    models = ok(api_models.sync(loan.id, client=provider), "listing the system's models")
    model = next((m for m in models if m.version == loan.version), None)
    if model is None:
        raise SystemExit(f"no model uploaded for version {loan.version} of `{loan.id}`")
    features = DecisionInFeatures.from_dict({name: 12 + i for i, name in enumerate(model.feature_names)})
    features["monthly_income_pkr"] = 180000
    key = f"conformance-{int(time.time() * 1000)}"
    decision = DecisionIn(
        decided_at=datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0),
        features=features, human=HumanIn(involved=False), idempotency_key=key,
        model_hash=f"sha256:{model.sha256}", output="approve", subject_ref="conformance-check",
        system_version=loan.version, score=0.97)
    logged = ok(log_decisions.sync(loan.id, client=provider, body=[decision]), "logging a decision")
    receipt_ref = logged.receipts[0].reference

    # 3. Its receipt, once a checkpoint covers it (the log publishes one every quarter second).
    deadline = time.monotonic() + 30
    while True:
        receipt_res = receipt_status.sync_detailed(receipt_ref, client=public)
        receipt = ok(receipt_res.parsed, "reading the receipt")
        if receipt.status.value == "proven" or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    if receipt.status.value != "proven":
        raise SystemExit(f"receipt {receipt_ref} is still `{receipt.status.value}` after 30 s")
    if receipt.opening is None or json.loads(receipt.opening.record).get("system") != loan.id:
        raise SystemExit(f"receipt {receipt_ref} does not open to a record of `{loan.id}`")
    explanation_res = api_explanation.sync_detailed(receipt_ref, client=public)
    ok(explanation_res.parsed, "reading the explanation")

    instances = out / "instances"
    instances.mkdir(exist_ok=True)
    # The bytes as served, not as the client's models write them back.
    (instances / "receipt.mizan.receipt-1.json").write_bytes(receipt_res.content)
    (instances / "decision.mizan.decision-1.json").write_text(receipt.opening.record)
    (instances / "explanation.mizan.explanation-1.json").write_bytes(explanation_res.content)
    print(f"openapi client: generated by openapi-python-client {version('openapi-python-client')} "
          f"({skipped} non-JSON parts left out, as expected); listed {len(systems)} systems, logged "
          f"decision {receipt_ref}, read its receipt ({receipt.status.value}) and explanation")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SystemExit as stop:
        if isinstance(stop.code, str):
            print(f"openapi client: FAILED: {stop.code.removeprefix('openapi client: ')}")
            sys.exit(1)
        raise
