"""Validate DCAT-AP 3 exports against SEMIC's DCAT-AP 3.0.1 SHACL shapes with pySHACL.

Usage:  validate.py [--strict] DIR

Checks every `*.dcat.ttl`, `*.dcat.jsonld`, `catalog-page-*.ttl` and `catalog-page-*.jsonld`
in DIR against two shape sets from `shapes/` (see shapes/README.md):

  template  dcat-ap-SHACL.ttl: SEMIC's SHACL template, constraints and class ranges;
  itb-full  shapes.ttl + range.ttl + shapes_recommended.ttl + deprecateduris.ttl: the
            Interoperable Europe Testbed's "Full" profile, without its remote imports.

No background vocabularies are loaded (no network), so a class must be stated in the data
itself, and the EU code lists (mdr-vocabularies) are not checked. A Violation fails; a Warning
(recommended properties, deprecated terms) is printed and fails only with --strict. Exit 0
when every file conforms, 1 on any failure, 2 on bad usage.
"""
import glob
import os
import sys

import pyshacl
import rdflib
from rdflib.namespace import SH

HERE = os.path.dirname(os.path.abspath(__file__))
SHAPES = os.path.join(HERE, "shapes")
SETS = {
    "template": ["dcat-ap-SHACL.ttl"],
    "itb-full": ["shapes.ttl", "range.ttl", "shapes_recommended.ttl", "deprecateduris.ttl"],
}
PATTERNS = ["*.dcat.ttl", "*.dcat.jsonld", "catalog-page-*.ttl", "catalog-page-*.jsonld"]


def load_shapes(files):
    g = rdflib.Graph()
    for f in files:
        g.parse(os.path.join(SHAPES, f), format="turtle")
    return g


def results(report):
    for r in report.subjects(rdflib.RDF.type, SH.ValidationResult):
        yield (
            report.value(r, SH.resultSeverity),
            report.value(r, SH.focusNode),
            report.value(r, SH.resultPath),
            report.value(r, SH.resultMessage),
        )


def main(argv):
    strict = "--strict" in argv
    args = [a for a in argv if a != "--strict"]
    if len(args) != 1 or not os.path.isdir(args[0]):
        print(__doc__, file=sys.stderr)
        return 2
    files = sorted({f for p in PATTERNS for f in glob.glob(os.path.join(args[0], p))})
    if not files:
        print(f"dcat: no DCAT-AP files in {args[0]}", file=sys.stderr)
        return 1
    shape_sets = {name: load_shapes(fs) for name, fs in SETS.items()}
    failed = 0
    for path in files:
        data = rdflib.Graph()
        try:
            data.parse(path, format="json-ld" if path.endswith(".jsonld") else "turtle")
        except Exception as e:  # a file that does not parse is a failure, not a crash
            print(f"FAIL {path}: does not parse: {e}")
            failed += 1
            continue
        if len(data) == 0:
            print(f"FAIL {path}: no triples")
            failed += 1
            continue
        bad = False
        for name, shapes in shape_sets.items():
            _, report, _ = pyshacl.validate(
                data, shacl_graph=shapes, inference="none", allow_warnings=True, advanced=True
            )
            for severity, focus, rpath, message in sorted(set(results(report)), key=str):
                level = str(severity).rsplit("#", 1)[-1]
                print(f"  {level} [{name}] {focus} {rpath}: {message}")
                if severity == SH.Violation or strict:
                    bad = True
        print(f"{'FAIL' if bad else 'ok  '} {path} ({len(data)} triples)")
        failed += bad
    print(f"dcat: {len(files) - failed} of {len(files)} files conform to DCAT-AP 3.0.1")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
