"""Validate Croissant exports with mlcroissant (the MLCommons reference implementation).

Usage:  validate.py DIR

Loads every `*.croissant.json` in DIR with `mlcroissant.Dataset`, which checks the metadata
(context, conformsTo, nodes, references between FileObjects, RecordSets and Fields, data types)
and raises ValidationError on errors. Records are never generated, so no file in the
distribution is downloaded. Warnings are printed and do not fail. Also checks that each file
declares Croissant 1.1 and the RAI 1.0 vocabulary. Exit 0 when all are valid, 1 otherwise.
"""
import glob
import json
import os
import sys

import mlcroissant as mlc
from importlib.metadata import version

REQUIRED_CONFORMS = {"http://mlcommons.org/croissant/1.1", "http://mlcommons.org/croissant/RAI/1.0"}


def main(argv):
    if len(argv) != 1 or not os.path.isdir(argv[0]):
        print(__doc__, file=sys.stderr)
        return 2
    files = sorted(glob.glob(os.path.join(argv[0], "*.croissant.json")))
    if not files:
        print(f"croissant: no *.croissant.json in {argv[0]}", file=sys.stderr)
        return 1
    failed = 0
    for path in files:
        try:
            with open(path, encoding="utf-8") as f:
                doc = json.load(f)
            conforms = doc.get("conformsTo")
            conforms = set(conforms if isinstance(conforms, list) else [conforms])
            missing = REQUIRED_CONFORMS - conforms
            if missing:
                raise ValueError(f"conformsTo lacks {sorted(missing)}")
            ds = mlc.Dataset(jsonld=path)
            for w in sorted(ds.metadata.issues.warnings):
                print(f"  warning: {w}")
            print(f"ok   {path}")
        except mlc.ValidationError as e:
            print(f"FAIL {path}:\n{e}")
            failed += 1
        except Exception as e:  # a file that does not load is a failure, not a crash
            print(f"FAIL {path}: {type(e).__name__}: {e}")
            failed += 1
    print(f"croissant: {len(files) - failed} of {len(files)} files valid (mlcroissant {version('mlcroissant')})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
