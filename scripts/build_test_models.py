#!/usr/bin/python3
"""Export the upstream fixture checkpoint in all three source formats for the TypeScript tests,
and quantise the bundled model (models/mae-small) in every quantisation mode.

tests/fixtures/onnx/{official,hf-bin,hf-safetensors,mae-small-int8,mae-small-int4}/ are build outputs
(git-ignored); a folder is skipped when its config.json already names the same source hash and the
exporter is unchanged.
"""

import hashlib

import json
from pathlib import Path

from scripts.export_onnx import export, verify
from scripts.mae.loaders import load_checkpoint, sha256_file
from scripts.quantize_onnx import MODES, quantize_folder

REPO = Path(__file__).resolve().parent.parent
BUNDLED = REPO / "models" / "mae-small"
FIXTURE = REPO / "tests" / "fixtures" / "mae-tiny-reference"
OUT = REPO / "tests" / "fixtures" / "onnx"
SOURCES = {
    "official": FIXTURE / "official" / "checkpoint.pth",
    "hf-bin": FIXTURE / "hf" / "pytorch_model.bin",
    "hf-safetensors": FIXTURE / "hf" / "model.safetensors",
}


EXPORTER_FILES = [
    "export_onnx.py",
    "quantize_onnx.py",
    "build_test_models.py",
    "mae/model.py",
    "mae/loaders.py",
]


def exporter_hash() -> str:
    digest = hashlib.sha256()
    for name in EXPORTER_FILES:
        digest.update((REPO / "scripts" / name).read_bytes())
    return digest.hexdigest()


def up_to_date(folder: Path, source: Path) -> bool:
    config, stamp = folder / "config.json", folder / "exporter.sha256"
    if not (config.exists() and stamp.exists()) or stamp.read_text() != exporter_hash():
        return False
    recorded = json.loads(config.read_text())
    files_present = all((folder / entry["path"]).exists() for entry in recorded["files"].values())
    return files_present and recorded["source"].get("sha256") == sha256_file(source)


def quantized_up_to_date(folder: Path, source: Path) -> bool:
    """A quantised copy is current when its exporter is, and its graphs came from `source`'s."""
    stamp = folder / "exporter.sha256"
    expected = exporter_hash() + sha256_file(source / "config.json")
    return (
        stamp.exists()
        and stamp.read_text() == expected
        and all(
            (folder / entry["path"]).exists()
            for entry in json.loads((folder / "config.json").read_text())["files"].values()
        )
    )


def quantize_bundled():
    if not (BUNDLED / "config.json").exists():
        print(f"{BUNDLED.relative_to(REPO)} is absent: no quantised copies")
        return
    for mode in MODES:
        folder = OUT / f"mae-small-{mode}"
        if quantized_up_to_date(folder, BUNDLED):
            print(f"{folder.relative_to(REPO)} is up to date")
            continue
        quantize_folder(BUNDLED, folder, mode)
        (folder / "exporter.sha256").write_text(exporter_hash() + sha256_file(BUNDLED / "config.json"))
        print(f"quantised {folder.relative_to(REPO)}")


def main():
    for name, source in SOURCES.items():
        folder = OUT / name
        if up_to_date(folder, source):
            print(f"{folder.relative_to(REPO)} is up to date")
            continue
        model, description = load_checkpoint(str(source))
        export(model, folder, f"Upstream tiny fixture ({name})", description, 17)
        verify(model, folder, 1e-4)
        (folder / "exporter.sha256").write_text(exporter_hash())
        print(f"exported {folder.relative_to(REPO)}")
    quantize_bundled()


if __name__ == "__main__":
    main()
