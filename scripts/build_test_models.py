#!/usr/bin/python3
"""Export the upstream fixture checkpoint in all three source formats for the TypeScript tests.

tests/fixtures/onnx/{official,hf-bin,hf-safetensors}/ are build outputs (git-ignored); an export is
skipped when its config.json already names the same source file and hash.
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from export_onnx import export, verify  # noqa: E402
from mae.loaders import load_checkpoint, sha256_file  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
FIXTURE = REPO / "tests" / "fixtures" / "mae-tiny-reference"
OUT = REPO / "tests" / "fixtures" / "onnx"
SOURCES = {
    "official": FIXTURE / "official" / "checkpoint.pth",
    "hf-bin": FIXTURE / "hf" / "pytorch_model.bin",
    "hf-safetensors": FIXTURE / "hf" / "model.safetensors",
}


def up_to_date(folder: Path, source: Path) -> bool:
    config = folder / "config.json"
    if not config.exists():
        return False
    recorded = json.loads(config.read_text()).get("source", {})
    files_present = all((folder / name).exists() for name in ("encoder.onnx", "decoder.onnx"))
    return files_present and recorded.get("sha256") == sha256_file(source)


def main():
    for name, source in SOURCES.items():
        folder = OUT / name
        if up_to_date(folder, source):
            print(f"{folder.relative_to(REPO)} is up to date")
            continue
        model, description = load_checkpoint(str(source))
        export(model, folder, f"Upstream tiny fixture ({name})", description, 17)
        verify(model, folder, 1e-4)
        print(f"exported {folder.relative_to(REPO)}")


if __name__ == "__main__":
    main()
