#!/usr/bin/python3
"""Time one reconstruction in PyTorch eager on the CPU, with the weights of an exported model folder
or of a checkpoint (a Hugging Face folder or weights file, or Meta's .pth).

    /usr/bin/python3 -m scripts.bench_torch MODEL TENSOR_DIR --threads 1 [--warmup 3] [--iterations 10]

`npm run bench` calls this. TENSOR_DIR holds visible_patches.npy [1, K, P*P*3] float32,
ids_keep.npy [1, K] and ids_restore.npy [1, N] int64; the script writes torch_pred.npy there (so
the caller can check that PyTorch and onnxruntime computed the same thing) and prints one JSON
line: torch version, threads, load time and the encoder / decoder milliseconds of every timed run.
An export is rebuilt from the folder's ONNX files (scripts/mae/onnx_weights.py): the same weights
the browser runs, whatever the model's source; a checkpoint is read by scripts/mae/loaders.py.
Like decoder.lean.onnx, the decoder skips the per-layer predictions.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("model", type=Path)
    parser.add_argument("tensors", type=Path)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--iterations", type=int, default=10)
    args = parser.parse_args()

    # OpenBLAS (Debian torch's BLAS) and OpenMP read their thread counts when torch is loaded,
    # so they are set before the import; torch.set_num_threads alone leaves OpenBLAS at all cores.
    os.environ["OMP_NUM_THREADS"] = os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)
    try:
        import numpy as np
        import torch
    except ImportError as error:
        sys.exit(f"PyTorch is not available: {error}")
    from scripts.mae.loaders import load_checkpoint
    from scripts.mae.onnx_weights import MODEL_FORMAT, load_model

    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    export = (
        args.model.is_dir()
        and json.loads((args.model / "config.json").read_text()).get("format") == MODEL_FORMAT
    )
    model = load_model(args.model) if export else load_checkpoint(str(args.model))[0].eval()
    load_s = time.perf_counter() - started
    visible = torch.from_numpy(np.load(args.tensors / "visible_patches.npy"))
    ids_keep = torch.from_numpy(np.load(args.tensors / "ids_keep.npy"))
    ids_restore = torch.from_numpy(np.load(args.tensors / "ids_restore.npy"))

    encoder_ms, decoder_ms = [], []
    with torch.no_grad():
        for run in range(args.warmup + args.iterations):
            t0 = time.perf_counter()
            latent, _ = model.forward_encoder(visible, ids_keep)
            t1 = time.perf_counter()
            pred, _ = model.forward_decoder(latent, ids_restore, per_layer=False)
            t2 = time.perf_counter()
            if run >= args.warmup:
                encoder_ms.append((t1 - t0) * 1000)
                decoder_ms.append((t2 - t1) * 1000)
    np.save(args.tensors / "torch_pred.npy", pred.numpy())
    print(
        json.dumps(
            {
                "torch": torch.__version__,
                "threads": torch.get_num_threads(),
                "load_s": load_s,
                "encoder_ms": encoder_ms,
                "decoder_ms": decoder_ms,
            }
        )
    )


if __name__ == "__main__":
    main()
