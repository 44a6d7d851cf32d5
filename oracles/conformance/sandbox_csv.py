"""Downloads the demo sandbox project's synthetic sample from the API, the third CSV the API
serves (`GET /api/v1/sandbox/projects/{reference}/synthetic`), for check-csv.cjs.

The API takes a project token (`mzd_...`), which a project's researcher makes on the request's
page, so this signs in as the demo researcher through the real form, makes one there and uses
it, as a researcher would (README, "Using the privacy-safe sandbox").

Usage: python sandbox_csv.py BASE_URL OUT_FILE
  Exits 1 naming the step that failed.
"""
import re
import sys

import httpx

PROJECT = "DA-DEM0000004"  # crates/mizan-app/src/demo/sandbox.rs
RESEARCHER = ("researcher@pide.demo", "demo-researcher")  # crates/mizan-app/src/demo.rs


def main() -> int:
    base, out = sys.argv[1], sys.argv[2]
    web = httpx.Client(base_url=base, timeout=60)

    def csrf(page: str) -> str:
        found = re.search(r'name="csrf" value="([^"]+)"', page)
        if not found:
            raise SystemExit(f"sandbox csv: no CSRF field on the page:\n{page[:300]}")
        return found.group(1)

    login = web.post("/login", data={"csrf": csrf(web.get("/login").text), "email": RESEARCHER[0],
                                     "password": RESEARCHER[1], "next": "/app"})
    if login.status_code != 303:
        raise SystemExit(f"sandbox csv: signing in as {RESEARCHER[0]} gave {login.status_code}")
    page = web.get(f"/app/data-access/{PROJECT}")
    made = web.post(f"/app/data-access/{PROJECT}/tokens", data={"csrf": csrf(page.text)})
    token = re.search(r"mzd_[0-9A-Za-z_]+", made.text)
    if made.status_code != 201 or not token:
        raise SystemExit(f"sandbox csv: making a project token gave {made.status_code} and no token")
    # As any HTTP client would ask for it, compression allowed (httpx sends Accept-Encoding).
    try:
        res = httpx.get(f"{base}/api/v1/sandbox/projects/{PROJECT}/synthetic",
                        headers={"Authorization": f"Bearer {token.group(0)}"}, timeout=60)
    except httpx.HTTPError as e:
        raise SystemExit(f"sandbox csv: downloading the synthetic sample failed: {e}") from e
    if res.status_code != 200 or not res.headers.get("content-type", "").startswith("text/csv"):
        raise SystemExit(f"sandbox csv: the synthetic sample gave {res.status_code} ({res.headers.get('content-type')})")
    with open(out, "wb") as f:
        f.write(res.content)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SystemExit as stop:
        if isinstance(stop.code, str):
            print(f"sandbox csv: FAILED: {stop.code.removeprefix('sandbox csv: ')}")
            sys.exit(1)
        raise
