"""Checks every JSON Schema Mizan publishes against its metaschema, and every example in the
repository and every live document of those formats against its schema, with check-jsonschema
(pinned in requirements.txt) (issue #25 item 3).

Schemas: each `crates/*/schemas/*.schema.json`, as served at `/api/v1/schemas/<name>.json`
(which must be byte for byte the repository's file) or, for one the server does not serve, the
repository's file; and the classifier's answers schema, `mizan classify --schema`.
Examples: `crates/mizan-rules/examples/*.yaml|json` and the answers of every golden case in
`crates/mizan-rules/tests/cases/` against the answers schema; the demo's model card
(`crates/mizan-app/demo/personal-loan-card.json`) against `mizan.model-card-1`.
Live documents: from the demo server, the personal-loan system's model card, fairness audit
reports and oversight policies, every demo dataset's column profiles, and the event records of
the latest register changes; and whatever earlier steps left in WORK_DIR/instances/ as
`<label>.<schema name>.json` (the receipt, decision record and explanation the generated client
read, the event of the hostile-text registration).

Usage: python check_schemas.py BASE_URL PROVIDER_TOKEN MIZAN_BIN REPO_DIR WORK_DIR
  Prints one line; exits 1 with check-jsonschema's messages on any failure.
"""
import json
import pathlib
import re
import subprocess
import sys
from collections import defaultdict
from importlib.metadata import version

import httpx
import yaml

LOAN = ("demo-indus-bank", "Personal loan credit scoring")  # crates/mizan-app/src/demo.rs


def main() -> int:
    base, token, mizan, repo, work = sys.argv[1], sys.argv[2], sys.argv[3], pathlib.Path(sys.argv[4]), pathlib.Path(sys.argv[5])
    tool = pathlib.Path(sys.executable).parent / "check-jsonschema"
    http = httpx.Client(base_url=base, timeout=60)
    auth = {"Authorization": f"Bearer {token}"}
    failures: list[str] = []

    def get(path: str, **kw):
        res = http.get(path, **kw)
        if res.status_code != 200:
            raise SystemExit(f"json schemas: GET {path} gave {res.status_code}: {res.text[:300]}")
        return res

    # 1. The schemas.
    schemas_dir = work / "schemas"
    schemas_dir.mkdir(parents=True, exist_ok=True)
    schema_files: dict[str, pathlib.Path] = {}
    served = []
    for path in sorted(repo.glob("crates/*/schemas/*.schema.json")):
        name = path.name.removesuffix(".schema.json")
        res = http.get(f"/api/v1/schemas/{name}.json")
        if res.status_code == 200:
            if res.content != path.read_bytes():
                failures.append(f"/api/v1/schemas/{name}.json is not byte for byte {path.relative_to(repo)}")
            if not res.headers.get("content-type", "").startswith("application/schema+json"):
                failures.append(f"/api/v1/schemas/{name}.json has Content-Type `{res.headers.get('content-type')}`")
            (schemas_dir / f"{name}.json").write_bytes(res.content)
            schema_files[name] = schemas_dir / f"{name}.json"
            served.append(name)
        elif res.status_code == 404:
            schema_files[name] = path
        else:
            failures.append(f"/api/v1/schemas/{name}.json gave {res.status_code}")
    answers = subprocess.run([mizan, "classify", "--schema"], capture_output=True, text=True, check=False)
    if answers.returncode != 0:
        raise SystemExit(f"json schemas: `mizan classify --schema` failed: {answers.stderr}")
    schema_files["classify-answers"] = schemas_dir / "classify-answers.json"
    schema_files["classify-answers"].write_text(answers.stdout)

    def check(args: list[str], what: str) -> None:
        run = subprocess.run([str(tool), *args], capture_output=True, text=True, check=False)
        if run.returncode != 0:
            failures.append(f"{what}:\n" + "\n".join("    " + line for line in (run.stdout + run.stderr).strip().splitlines()))

    check(["--check-metaschema", *map(str, schema_files.values())], "metaschema")

    # 2. Examples in the repository.
    instances: dict[str, list[pathlib.Path]] = defaultdict(list)
    instances["classify-answers"] += sorted(repo.glob("crates/mizan-rules/examples/*.yaml"))
    instances["classify-answers"] += sorted(repo.glob("crates/mizan-rules/examples/*.json"))
    instances["mizan.model-card-1"].append(repo / "crates/mizan-app/demo/personal-loan-card.json")
    examples = sum(len(v) for v in instances.values())
    cases_dir = work / "examples" / "cases"
    cases_dir.mkdir(parents=True, exist_ok=True)
    cases = 0
    for path in sorted(repo.glob("crates/mizan-rules/tests/cases/*.yaml")):
        for i, case in enumerate(yaml.safe_load(path.read_text()) or []):
            out = cases_dir / f"{path.stem}-{i + 1}.json"
            out.write_text(json.dumps(case["answers"]))
            instances["classify-answers"].append(out)
            cases += 1

    # 3. Live documents from the demo server.
    live = work / "instances"
    live.mkdir(parents=True, exist_ok=True)

    def keep(label: str, schema: str, doc) -> None:
        (live / f"{label}.{schema}.json").write_text(json.dumps(doc, ensure_ascii=False))

    listed = get("/api/v1/systems", params={"org": LOAN[0], "per_page": 100}).json()["items"]
    loan = next((s["id"] for s in listed if s["name"].get("en") == LOAN[1]), None)
    if loan is None:
        raise SystemExit(f"json schemas: no `{LOAN[1]}` of `{LOAN[0]}` on the register")
    for m in get(f"/api/v1/org/systems/{loan}/models", headers=auth).json():
        if m.get("card") is not None:
            keep(f"card-v{m['version']}", "mizan.model-card-1", m["card"])
    for a in get(f"/api/v1/org/systems/{loan}/audits", headers=auth).json():
        keep(f"audit-{a['id']}", "mizan.fairness.audit-1", get(f"/api/v1/org/systems/{loan}/audits/{a['id']}/report", headers=auth).json())
    for i, p in enumerate(get(f"/api/v1/systems/{loan}/oversight").json()["policies"]):
        keep(f"oversight-{i + 1}", "mizan.oversight-policy-1", p["policy"])
    for d in get("/api/v1/datasets", params={"per_page": 100}).json()["items"]:
        v = get(f"/api/v1/datasets/{d['slug']}").json()["version"]
        for f in get(f"/api/v1/datasets/{d['slug']}/versions/{v}/profile").json():
            if f.get("profile") is not None:
                keep(f"profile-{re.sub(r'[^A-Za-z0-9_-]', '_', f['name'])}", "mizan.dataset-profile-1", f["profile"])
    for event in re.findall(r"<id>urn:mizan:event:(\d+)</id>", get("/api/v1/changes.atom").text)[:5]:
        proof = get(f"/api/v1/events/{event}/proof").json()
        if proof.get("event_json"):
            (live / f"event-{event}.mizan-event-1.json").write_text(proof["event_json"])
    for path in sorted(live.glob("*.json")):
        schema = path.name.removesuffix(".json").split(".", 1)[1]
        if schema not in schema_files:
            failures.append(f"{path.name}: no schema `{schema}`")
            continue
        instances[schema].append(path)
    documents = len(list(live.glob("*.json")))
    for kind in ["mizan.receipt-1", "mizan.decision-1", "mizan.explanation-1", "mizan.model-card-1",
                 "mizan.fairness.audit-1", "mizan.oversight-policy-1", "mizan-event-1", "mizan.dataset-profile-1"]:
        if not any(p.parent == live for p in instances[kind]):
            failures.append(f"no live `{kind}` document was found to check")

    for schema, files in sorted(instances.items()):
        if files:
            check(["--schemafile", str(schema_files[schema]), *map(str, files)], f"against {schema}")

    if failures:
        print("json schemas: INVALID:")
        for f in failures:
            print(f"  {f}")
        return 1
    unserved = sorted(set(schema_files) - set(served) - {"classify-answers"})
    only_repo = f"{len(unserved)} only in the repository ({', '.join(unserved)}), " if unserved else ""
    print(f"json schemas: {len(schema_files)} schemas ({len(served)} served at /api/v1/schemas, "
          f"{only_repo}the classifier's answers) "
          f"valid against draft 2020-12, and {examples} examples, {cases} golden-case answers and {documents} live "
          f"documents valid against theirs (check-jsonschema {version('check-jsonschema')})")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SystemExit as stop:
        if isinstance(stop.code, str):
            print(f"json schemas: FAILED: {stop.code.removeprefix('json schemas: ')}")
            sys.exit(1)
        raise
