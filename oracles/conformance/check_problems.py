"""Provokes the API's error responses and validates each body as an RFC 9457 problem details
object against problem-details.schema.json (written from RFC 9457 section 3) with the
`jsonschema` package, formats checked (issue #25 item 4). Also checks what a schema cannot:
the media type is `application/problem+json` (RFC 9457 section 3) and the `status` member is
the response's status code (section 3.1.2).

Requests go out byte for byte as written here (http.client, no URL clean-up), so a request
target with characters a URI may not hold shows whether `instance` is still a URI reference.
None of them changes anything on the server.

Usage: python check_problems.py BASE_URL PROVIDER_TOKEN SCHEMA
  Prints one line; exits 1 naming each response that is not a valid problem.
"""
import http.client
import json
import sys
import urllib.parse
from importlib.metadata import version

import jsonschema


def main() -> int:
    base, token, schema_path = sys.argv[1], sys.argv[2], sys.argv[3]
    url = urllib.parse.urlsplit(base)
    schema = json.load(open(schema_path, encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    # jsonschema checks `uri-reference` only when rfc3986-validator is installed, and otherwise
    # passes anything without a word.
    if "uri-reference" not in checker.checkers:
        raise SystemExit("problem+json: jsonschema cannot check `uri-reference` (is rfc3986-validator installed?)")
    validator = jsonschema.Draft202012Validator(schema, format_checker=checker)

    def send(method: str, target: str, body: bytes | None = None, headers: dict | None = None):
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        conn.putrequest(method, target, skip_accept_encoding=True)
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        conn.putheader("Content-Length", str(len(body or b"")))
        conn.endheaders(body or b"")
        res = conn.getresponse()
        data = res.read()
        conn.close()
        return res.status, res.getheader("Content-Type", ""), data

    auth = {"Authorization": f"Bearer {token}"}
    as_json = {**auth, "Content-Type": "application/json"}
    # A system the provider owns that the regulator suspended: it may log no decisions.
    status, _, listed = send("GET", "/api/v1/systems?status=suspended&org=demo-indus-bank&per_page=10")
    suspended = json.loads(listed)["items"][0]["id"] if status == 200 and json.loads(listed)["items"] else None
    if suspended is None:
        raise SystemExit("problem+json: the demo has no suspended system of demo-indus-bank to provoke a 409 with")
    decision = json.dumps([{
        "idempotency_key": "conformance-409", "system_version": 1, "model_hash": "sha256:00",
        "features": {}, "output": "approve", "human": {"involved": False},
        "decided_at": "2026-01-01T00:00:00Z", "subject_ref": "conformance"}]).encode()

    cases = [  # (what, expected status, method, target, body, headers)
        ("malformed JSON", 400, "POST", "/api/v1/org/systems", b'{"name": ', as_json),
        ("NUL in the URL", 400, "GET", "/api/v1/systems/%00", None, {}),
        ("no token", 401, "GET", "/api/v1/org/systems", None, {}),
        ("unknown token", 401, "GET", "/api/v1/org/systems", None, {"Authorization": "Bearer mzn_0000"}),
        ("a provider at the regulator's queue", 403, "GET", "/api/v1/regulator/queue", None, auth),
        ("unknown system", 404, "GET", "/api/v1/systems/zzzzzzzz", None, {}),
        ("unknown API path", 404, "GET", "/api/v1/nothing-here?x=1", None, {}),
        ("unknown schema", 404, "GET", "/api/v1/schemas/nope.json", None, {}),
        ("characters a URI may not hold", 404, "GET", '/api/v1/systems/a\\b"{|}^[]%zz', None, {}),
        ("wrong method", 405, "DELETE", "/api/v1/systems", None, {}),
        ("a decision for a suspended system", 409, "POST", f"/api/v1/systems/{suspended}/decisions", decision, as_json),
        ("oversized body", 413, "POST", "/api/v1/org/systems", b'{"name": "' + b"x" * (400 * 1024) + b'"}', as_json),
        ("wrong content type", 415, "POST", "/api/v1/org/systems", b"{}", {**auth, "Content-Type": "text/plain"}),
        ("unknown field", 422, "POST", "/api/v1/org/systems", b'{"colour": "blue"}', as_json),
    ]
    failures = []
    for what, want, method, target, body, headers in cases:
        status, ctype, data = send(method, target, body, headers)
        where = f"{what} ({method} {target[:60]})"
        if status != want:
            failures.append(f"{where}: status {status}, expected {want}")
            continue
        if ctype.split(";")[0].strip().lower() != "application/problem+json":
            failures.append(f"{where}: Content-Type `{ctype}`, not application/problem+json")
            continue
        try:
            problem = json.loads(data)
        except ValueError as e:
            failures.append(f"{where}: the body is not JSON ({e}): {data[:200]!r}")
            continue
        for err in validator.iter_errors(problem):
            path = "/".join(str(p) for p in err.absolute_path) or "(the object)"
            failures.append(f"{where}: `{path}`: {err.message}")
        if isinstance(problem, dict) and problem.get("status") != status:
            failures.append(f"{where}: `status` member {problem.get('status')!r}, response {status}")
    codes = sorted({c[1] for c in cases})
    if failures:
        print(f"problem+json: {len(failures)} problems in {len(cases)} error responses:")
        for f in failures:
            print(f"  {f}")
        return 1
    print(f"problem+json: {len(cases)} error responses ({', '.join(map(str, codes))}) valid against RFC 9457 "
          f"section 3 (jsonschema {version('jsonschema')}, formats checked)")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SystemExit as stop:
        if isinstance(stop.code, str):
            print(f"problem+json: FAILED: {stop.code.removeprefix('problem+json: ')}")
            sys.exit(1)
        raise
