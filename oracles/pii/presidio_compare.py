#!/usr/bin/env python3
"""Runs Microsoft Presidio's analyzer on mizan-pii's evaluation set and writes its precision
and recall per kind to oracles/pii/presidio-report.md (the part between the markers).

Presidio sees each value alone as a text, with the column name passed as context words (its
context enhancer raises the score of a recogniser whose context words appear there). Default
recognisers, default score threshold. A value counts as predicted kind K when an entity of
K's Presidio type covers the whole value (trimmed). Mapping:
    email -> EMAIL_ADDRESS, payment-card -> CREDIT_CARD, ip-address -> IP_ADDRESS,
    iban -> IBAN_CODE, mobile-phone and landline -> PHONE_NUMBER, person-name -> PERSON;
    cnic and ntn have no Presidio type (its "Pakistani" recognisers do not exist).
Presidio's PHONE_NUMBER does not tell mobiles from landlines: a PHONE_NUMBER on a mobile or a
landline row counts for that row's kind; on any other row it is a false positive of both.

NLP engine: a blank spaCy English pipeline (tokenizer only), so no model is downloaded. That
leaves Presidio's NER-based PERSON recogniser with nothing to run on; its score is reported as
measured (not applicable), and the report says so. The pattern recognisers (e-mail, card, IP,
IBAN, phone via `phonenumbers`) need no model.

Run from the repository root, in a venv with requirements-presidio.txt installed:
    python oracles/pii/presidio_compare.py
"""

import collections
import csv
import re
import sys
from importlib import metadata
from pathlib import Path

import spacy
from presidio_analyzer import AnalyzerEngine
from presidio_analyzer.nlp_engine import SpacyNlpEngine

DATA = Path("crates/mizan-pii/tests/data/eval/columns.csv")
REPORT = Path("oracles/pii/presidio-report.md")
BEGIN, END = "<!-- presidio:begin -->", "<!-- presidio:end -->"

KINDS = ["cnic", "ntn", "mobile-phone", "landline", "iban", "email", "payment-card",
         "ip-address", "person-name"]
TO_PRESIDIO = {
    "mobile-phone": "PHONE_NUMBER",
    "landline": "PHONE_NUMBER",
    "iban": "IBAN_CODE",
    "email": "EMAIL_ADDRESS",
    "payment-card": "CREDIT_CARD",
    "ip-address": "IP_ADDRESS",
    "person-name": "PERSON",
}


class BlankSpacyEngine(SpacyNlpEngine):
    """A spaCy engine over `spacy.blank("en")`: tokens, no model download, no NER."""

    def __init__(self):
        super().__init__(models=[{"lang_code": "en", "model_name": "blank"}])
        self.nlp = {"en": spacy.blank("en")}

    def load(self):  # nothing to load
        pass


def split_words(name):
    return [w.lower() for w in re.split(r"[_\-\s./]+|(?<=[a-z])(?=[A-Z])", name) if w]


def main():
    rows = list(csv.DictReader(DATA.open(encoding="utf-8")))
    analyzer = AnalyzerEngine(nlp_engine=BlankSpacyEngine(), supported_languages=["en"])
    tally = {k: [0, 0, 0] for k in KINDS}  # tp, fp, fn
    seen_on = collections.defaultdict(collections.Counter)  # label -> Presidio types found
    for r in rows:
        value = r["value"].strip()
        label = r["label"]
        results = analyzer.analyze(text=value, language="en", context=split_words(r["column_name"]))
        whole = {x.entity_type for x in results if x.start == 0 and x.end == len(value)}
        for x in results:
            seen_on[label][x.entity_type] += 1
        for kind in KINDS:
            ptype = TO_PRESIDIO.get(kind)
            predicted = ptype is not None and ptype in whole
            is_label = label == kind
            # A phone found on the other phone kind's row is right for that row, not a miss.
            if predicted and not is_label and ptype == "PHONE_NUMBER" and label in ("mobile-phone", "landline"):
                continue
            if predicted and is_label:
                tally[kind][0] += 1
            elif predicted:
                tally[kind][1] += 1
            elif is_label:
                tally[kind][2] += 1

    def ratio(a, b):
        return a / b if b else float("nan")

    lines = [
        f"Presidio `presidio-analyzer` {metadata.version('presidio-analyzer')}"
        f" with spaCy {spacy.__version__} (blank `en` pipeline), default recognisers and threshold,"
        " column name as context words; whole-value matches only.",
        "",
        "| kind | Presidio type | support | precision | recall | FP | FN |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for kind in KINDS:
        tp, fp, fn = tally[kind]
        ptype = TO_PRESIDIO.get(kind, "none")
        lines.append(f"| `{kind}` | {ptype} | {tp + fn} | {ratio(tp, tp + fp):.3f} | {ratio(tp, tp + fn):.3f} | {fp} | {fn} |")
    lines += ["", "What Presidio reported (any span, any score above threshold) on rows of each label:", "",
              "| label | Presidio entity types (count) |", "|---|---|"]
    for label in KINDS + ["none"]:
        found = ", ".join(f"{t} ({n})" for t, n in seen_on[label].most_common()) or "nothing"
        lines.append(f"| `{label}` | {found} |")
    block = "\n".join(lines)
    text = REPORT.read_text(encoding="utf-8")
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    REPORT.write_text(f"{head}{BEGIN}\n{block}\n{END}{tail}", encoding="utf-8")
    print(block)


if __name__ == "__main__":
    sys.exit(main())
