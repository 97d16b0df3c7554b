#!/usr/bin/python3
"""The model card's training-data.csv: every photo a training run saw or held out, with its
package, licence and credit from the photo manifest.

    /usr/bin/python3 -m scripts.training_data_csv RUN_DIR MANIFEST.csv OUT.csv

RUN_DIR is a scripts/train.py output folder (training-files.txt, holdout.txt).
"""

import csv
import sys
from pathlib import Path

from scripts.train import read_manifest

COLUMNS = ["file", "used_for", "package", "version", "path_in_package", "debian_license", "credit"]


def rows(run: Path, manifest: Path):
    by_name = read_manifest(manifest)
    for listing, used_for in (("training-files.txt", "training"), ("holdout.txt", "held out")):
        for name in (run / listing).read_text().split():
            row = by_name[name]  # a KeyError names a photo the manifest does not credit
            yield {"file": name, "used_for": used_for, **{key: row[key] for key in COLUMNS[2:]}}


def main():
    run, manifest, out = (Path(arg) for arg in sys.argv[1:4])
    with out.open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(sorted(rows(run, manifest), key=lambda row: row["file"]))


if __name__ == "__main__":
    main()
