"""Reads a live Mizan server's CKAN-compatible Action API with the real `ckanapi` client
(pinned in requirements.txt), as a CKAN harvester or script would, and fails on anything a
CKAN client could not use (issue #18 item 8).

Usage: python check.py BASE_URL MIN_PACKAGES
"""
import sys
from importlib.metadata import version

import ckanapi


def main() -> int:
    base, minimum = sys.argv[1], int(sys.argv[2])
    ckan = ckanapi.RemoteCKAN(base, user_agent="mizan-ckan-check/1")
    names = ckan.action.package_list()
    assert len(names) >= minimum, f"package_list gave {len(names)} packages, expected at least {minimum}"
    orgs = ckan.action.organization_list()
    assert orgs, "organization_list is empty"
    full = ckan.action.organization_list(all_fields=True)
    assert {o["name"] for o in full} == set(orgs), "organization_list with all_fields names other organisations"
    for name in names:
        pkg = ckan.action.package_show(id=name)
        assert pkg["name"] == name, f"package_show({name}) gave {pkg['name']}"
        assert pkg["organization"]["name"] in orgs, f"{name}: its organisation is not listed"
        assert pkg["num_resources"] == len(pkg["resources"]), f"{name}: num_resources disagrees"
        for res in pkg["resources"]:
            again = ckan.action.resource_show(id=res["id"])
            assert again["id"] == res["id"] and again["url"] == res["url"], f"{name}: resource_show disagrees"
            assert res["url"].startswith(base), f"{name}: resource url {res['url']} is not on this server"
            assert len(res.get("hash", "")) == 64, f"{name}: resource without its sha256"
    found = ckan.action.package_search(q="crop", rows=5)
    assert found["count"] >= 1 and found["results"], "package_search for `crop` found nothing"
    assert any("crop" in p["name"] for p in found["results"]), "package_search for `crop` missed the crop dataset"
    page = ckan.action.package_search(rows=2, start=0)
    assert len(page["results"]) <= 2 and page["count"] >= minimum, "package_search paging is wrong"
    one_org = ckan.action.package_search(fq=f"organization:{orgs[0]}", rows=100)
    assert all(p["organization"]["name"] == orgs[0] for p in one_org["results"]), "fq=organization: does not filter"
    try:
        ckan.action.package_show(id="no-such-dataset")
    except ckanapi.NotFound:
        pass
    else:
        raise AssertionError("package_show of a missing dataset did not raise NotFound")
    print(f"ckanapi {version('ckanapi')}: {len(names)} packages, {len(orgs)} organisations read through the Action API")
    return 0


if __name__ == "__main__":
    sys.exit(main())
