#!/usr/bin/python3
"""Writes the awkward inputs of docs/ROBUSTNESS.md into one folder for tests/e2e/robustness.e2e.ts.

Every picture is drawn so that a test can check its pixels after decoding: flat colour regions
whose expected values are listed in the folder's zoo.json, next to each file's name and type.

    /usr/bin/python3 -m scripts.make_image_zoo OUT_FOLDER

Needs Debian's python3-pil and python3-numpy; AVIF needs avifenc (Debian libavif-bin), since
Pillow 9.4 cannot write AVIF. Without avifenc the AVIF entry is left out and zoo.json says why.
"""

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

RED = (220, 30, 40)
BLUE = (30, 60, 200)


def halves(width, height, top=RED, bottom=BLUE):
    """Top half one colour, bottom half another: any rotation or flip shows in the pixels."""
    pixels = np.zeros((height, width, 3), np.uint8)
    pixels[: height // 2] = top
    pixels[height // 2 :] = bottom
    return Image.fromarray(pixels, "RGB")


def jpeg_bytes(image, **options):
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=92, **options)
    return buffer.getvalue()


def main(out):
    out.mkdir(parents=True, exist_ok=True)
    entries = []

    def add(name, data, mime, **expect):
        (out / name).write_bytes(data)
        entries.append({"file": name, "type": mime, "bytes": len(data), **expect})

    add(
        "not-an-image.pdf",
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
        "application/pdf",
    )
    add("empty.png", b"", "image/png")

    whole = jpeg_bytes(halves(320, 240))
    # Cut inside the entropy-coded data: the header is intact, most of the scan and EOI are not.
    add("truncated.jpg", whole[: len(whole) // 3], "image/jpeg")

    # Left half fully transparent with a green that must not show; right half opaque red.
    rgba = np.zeros((240, 320, 4), np.uint8)
    rgba[:, :160] = (0, 255, 0, 0)
    rgba[:, 160:] = (*RED, 255)
    buffer = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buffer, "PNG")
    add("alpha.png", buffer.getvalue(), "image/png", left=[255, 255, 255], right=list(RED))

    gray = Image.fromarray(np.tile(np.linspace(0, 255, 320, dtype=np.uint8), (240, 1)), "L")
    buffer = io.BytesIO()
    gray.save(buffer, "PNG")
    add("grayscale.png", buffer.getvalue(), "image/png", gray=True)
    add("grayscale.jpg", jpeg_bytes(gray), "image/jpeg", gray=True)

    # Pure cyan ink on top, pure magenta below (CMYK with no black).
    cmyk = np.zeros((240, 320, 4), np.uint8)
    cmyk[:120, :, 0] = 255
    cmyk[120:, :, 1] = 255
    add(
        "cmyk.jpg",
        jpeg_bytes(Image.fromarray(cmyk, "CMYK")),
        "image/jpeg",
        top=[0, 255, 255],
        bottom=[255, 0, 255],
    )

    # Stored turned 90 degrees counter-clockwise; EXIF orientation 6 says "turn clockwise to show".
    upright = halves(320, 240)
    stored = upright.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    add(
        "exif-rotated.jpg",
        jpeg_bytes(stored, exif=exif.tobytes()),
        "image/jpeg",
        top=list(RED),
        bottom=list(BLUE),
    )

    frames = [Image.new("RGB", (320, 240), RED), Image.new("RGB", (320, 240), BLUE)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=200, loop=0)
    add("animated.gif", buffer.getvalue(), "image/gif", first=list(RED))

    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" {size} viewBox="0 0 400 300">'
        '<rect width="400" height="150" fill="rgb{top}"/>'
        '<rect y="150" width="400" height="150" fill="rgb{bottom}"/></svg>'
    )
    sized = svg.format(size='width="400" height="300"', top=RED, bottom=BLUE)
    add("sized.svg", sized.encode(), "image/svg+xml", top=list(RED), bottom=list(BLUE))
    # Colours swapped, so that the test sees the picture change after sized.svg.
    unsized = svg.format(size="", top=BLUE, bottom=RED)
    add("unsized.svg", unsized.encode(), "image/svg+xml", top=list(BLUE), bottom=list(RED))

    buffer = io.BytesIO()
    halves(320, 240).save(buffer, "WEBP", lossless=True)
    add("halves.webp", buffer.getvalue(), "image/webp", top=list(RED), bottom=list(BLUE))

    avifenc = shutil.which("avifenc")
    if avifenc:
        png = out / "halves-for-avif.png"
        # Colours swapped, so that the test sees the picture change after the WebP.
        halves(320, 240, top=BLUE, bottom=RED).save(png)
        subprocess.run(
            [avifenc, "--lossless", str(png), str(out / "halves.avif")],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        png.unlink()
        data = (out / "halves.avif").read_bytes()
        add("halves.avif", data, "image/avif", top=list(BLUE), bottom=list(RED))
    else:
        entries.append({"file": "halves.avif", "skipped": "avifenc (Debian libavif-bin) is not installed"})

    buffer = io.BytesIO()
    Image.new("RGB", (1, 1), (200, 100, 50)).save(buffer, "PNG")
    add("one-pixel.png", buffer.getvalue(), "image/png", colour=[200, 100, 50])

    buffer = io.BytesIO()
    halves(4000, 10).save(buffer, "PNG")
    add("thin-4000x10.png", buffer.getvalue(), "image/png")

    # 12000 x 12000: 144 megapixels, 576 MB as RGBA. Top half red, bottom half blue again.
    huge = halves(12000, 12000)
    add(
        "huge-12000.jpg",
        jpeg_bytes(huge),
        "image/jpeg",
        width=12000,
        height=12000,
        top=list(RED),
        bottom=list(BLUE),
    )

    (out / "zoo.json").write_text(json.dumps(entries, indent=2) + "\n")
    print(f"wrote {len(entries)} entries to {out}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]))
