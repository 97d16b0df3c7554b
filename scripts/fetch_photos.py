#!/usr/bin/python3
"""More training photos (issue 15): 48 freely licensed photographs (CC0, CC-BY-SA, GFDL, public
domain) from four Debian packages that the shared photo set does not use, merged with it into one
training folder.

    /usr/bin/python3 -m scripts.fetch_photos --base ../shared/data/photos --out .photos

Writes OUT/train/ (links to BASE/train/*.jpg, plus the new photos) and OUT/manifest.csv (BASE's rows,
plus a row per new photo: package, version, path, licence, credit), so that
`scripts/train.py --data OUT/train` sees both and `--holdout-package` still works. The new photos
are treated as the shared set was: shorter side 384 px (Lanczos), sRGB JPEG quality 90.

Each .deb is pinned by version and SHA-256. None is in bookworm (the machines' release); they come
from the bullseye, trixie and sid pools of deb.debian.org; once a version leaves the pool, the same file
is on snapshot.debian.org. Only photographs are listed; what was left out of each package, and why,
is in LEFT_OUT.
"""

import argparse
import csv
import hashlib
import io
import subprocess
import tempfile
import urllib.request
from pathlib import Path

from PIL import Image

MIRROR = "http://deb.debian.org/debian/"
SHORT_SIDE = 384
CC0 = "CC0-1.0"

PACKAGES = [
    {
        "package": "budgie-backgrounds",
        "version": "3.0-1",
        "suite": "trixie",
        "pool": "pool/main/b/budgie-backgrounds/budgie-backgrounds_3.0-1_all.deb",
        "sha256": "b91c2d5209558bc11d8d3a161f22a608857e3f8c735980cfab0d6650b03014ca",
        "folder": "usr/share/backgrounds/budgie/",
        # debian/copyright: `Files: *` CC0-1.0, 2022-2024 Budgie Desktop Developers.
        "copyright": "2022-2024, Budgie Desktop Developers",
        "photos": {
            name: (CC0, "Budgie Desktop Developers (debian/copyright Files: *)")
            for name in [
                "abstract-spiral.jpg",
                "beacon-street-sunset.jpg",
                "blue-periwinkle.jpg",
                "canyon-wren.jpg",
                "casa-mila.jpg",
                "extreme-desert-hike.jpg",
                "high-trestle-trail.jpg",
                "lake-sherburne.jpg",
                "oakland-zoo-otters.jpg",
                "perched-osprey.jpg",
                "piazza-gae-aulenti.jpg",
                "roman-colosseum.jpg",
                "singaporean-cityscape.jpg",
                "tea-gardens.jpg",
            ]
        },
    },
    {
        "package": "gnome-backgrounds",
        "version": "3.38.0-1",
        "suite": "bullseye",
        "pool": "pool/main/g/gnome-backgrounds/gnome-backgrounds_3.38.0-1_all.deb",
        "sha256": "76d8a4c52e5f346d9cb08bc8a1f58ad443d2bae211721af8a7248457c7a520e8",
        "folder": "usr/share/backgrounds/gnome/",
        # debian/copyright lags upstream here (GPL-2+ for the package, credits for older files);
        # the package's own /usr/share/doc/gnome-backgrounds/AUTHORS credits each of these.
        "copyright": "see /usr/share/doc/gnome-backgrounds/AUTHORS",
        "photos": {
            "Dark_Ivy.jpg": ("CC-BY-SA-3.0", "Copyright 2012 Garrett LeSage <glesage@gmail.com>"),
            "LightWaves.jpg": (
                CC0,
                "Skitterphoto, https://www.pexels.com/photo/"
                "blue-green-and-white-tilt-shift-lens-illustration-691467/",
            ),
            "Road.jpg": (
                CC0,
                "Joshua Welch, https://www.pexels.com/photo/"
                "bird-s-eye-view-of-roadway-surrounded-by-trees-1624600/",
            ),
            "ColdWarm.jpg": (
                CC0,
                "invisiblepower, https://www.pexels.com/photo/above-aerial-bright-cold-343219/",
            ),
            "SeaSunset.jpg": (
                CC0,
                "Sebastian Voortman, https://www.pexels.com/photo/beach-dawn-dusk-ocean-189349/",
            ),
        },
    },
    {
        "package": "grub2-splashimages",
        "version": "1.1.1",
        "suite": "sid",
        "pool": "pool/main/g/grub2-splashimages/grub2-splashimages_1.1.1_all.deb",
        "sha256": "d751195cf6259b352ddb17f668be386e28ad750619faf8eb43144cf7f227dd86",
        "folder": "usr/share/images/grub/",
        # Wikimedia Commons featured pictures; debian/copyright has a stanza (licence, author) for each.
        "copyright": "per-file stanza in debian/copyright",
        "photos": {
            "001_Chateau_de_Chillon_and_Dents_du_Midi_Photo_by_Giles_Laurent.png": (
                "CC-BY-SA-4.0",
                "Giles Laurent <gileslaurent.com>",
            ),
            "001_Juvenile_leopard_in_the_Serengeti_National_Park_Photo_by_Giles_Laurent.png": (
                "CC-BY-SA-4.0",
                "Giles Laurent <gileslaurent.com>",
            ),
            "003_Olive-bellied_Sunbird_in_flight_at_Kibale_forest_National_Park_Photo_by_Giles_Laurent.png": (
                "CC-BY-SA-4.0",
                "Giles Laurent <gileslaurent.com>",
            ),
            "004_2018_05_14_Extremes_Wetter.png": ("CC-BY-SA-4.0", "Friedrich Haag"),
            "2006-02-15_Piping.png": ("GFDL-1.2+", "2006 Roger McLassus [[:c:User:Roger_McLassus]]"),
            "Anse_Source_d_Argent_2-La_Digue.png": ("CC-BY-SA-4.0", "Tobias Alt"),
            "Apollo_17_The_Last_Moon_Shot_Edit1.png": ("public_domain", "NASA image number KSC-72PC-589"),
            "BonsaiTridentMaple.png": ("public_domain", "USDA photo by Peggy Greb"),
            "BrockenBahnWinter.png": ("CC-BY-SA-4.0", "Andreas Tille"),
            "Hortensia-1.png": ("GFDL-1.2+", "2007 Alvesgaspar [[:c:User:Alvesgaspar]]"),
            "Lake_mapourika_NZ.png": ("GFDL-1.2+", "2004 Richard Palmer [[:c:User:Wombat]]"),
            "Moraine_Lake_17092005.png": ("public_domain", "Gorgo [[:c:User:Gorgo]]"),
            "Plasma-lamp.png": ("GFDL-1.2+", "2004 Luc Viatour [[:c:User:Lviatour]]"),
            "TulipStair_QueensHouse_Greenwich.png": ("GFDL-1.2+", "2006 Mcginnly [[:en:User:Mcginnly]]"),
            "Windbuchencom.png": ("public_domain", "Richardfabi [[:c:User:Richardfabi]]"),
        },
    },
    {
        "package": "ukui-wallpapers",
        "version": "20.04.4-1",
        "suite": "sid",
        "pool": "pool/main/u/ukui-wallpapers/ukui-wallpapers_20.04.4-1_all.deb",
        "sha256": "3e9036f3e9fa197e3ff8fc6551eeba208f31ac99cba06da052e49a00d77ed62d",
        "folder": "usr/share/backgrounds/",
        # debian/copyright: `Files: *` CC-BY-SA-3.0; no per-photo credit in the package.
        "copyright": "2013-2020 Ubuntu Kylin community contributors",
        "photos": {
            name: ("CC-BY-SA-3.0", "Ubuntu Kylin community contributors (debian/copyright Files: *)")
            for name in [
                "bluebird.jpg",
                "bridgecity.jpg",
                "bridgecity2.jpg",
                "flamingos.jpg",
                "horse.jpg",
                "house.jpg",
                "look.jpg",
                "mountain-range.jpg",
                "mountain.jpg",
                "mountain2.jpg",
                "sea.jpg",
                "snowy-mountains.jpg",
                "still-life.jpg",
                "sunf.jpg",
            ]
        },
    },
]

LEFT_OUT = {
    "budgie-backgrounds 3.0-1": "ocean-waves (a painting), saturnian-profile (space image), "
    "valley-midnight and waves-midnight (vector art)",
    "gnome-backgrounds 3.38.0-1": "Icetwigs (no credit in the package), Acrylic (photo of a painting), "
    "adwaita-*, Endless-shapes, Stripes, Symbolics-*, Wood, VNC (renders)",
    "plasma-workspace-wallpapers 5.20.5-1 (bullseye), 6.3.4-1 (trixie)": "the photos are the ones "
    "bookworm's 5.27 ships (already in the shared set); the rest are renders",
    "grub2-splashimages 1.1.1": "Glasses_800_edit (a ray-traced render), City_Lights_of_Asia_and_Middle_East "
    "(satellite composite), splash-02..06 (only the blanket `Files: *` stanza, no author)",
    "ukui-wallpapers 20.04.4-1": "2004default, calla, city, desert, firstgeneration, fluent-color, "
    "focal-ubuntukylin, goldfish, planet-ascending, rhythm, rollpaper, sky, string, the-mouse (renders)",
    "budgie-backgrounds 4.2-1 (sid)": "its 4 photos that 3.0-1 lacks ship only as JPEG XL, "
    "which Pillow here cannot read",
    "oxygen-wallpapers 6.7.4-1": "Air, Horos (renders)",
}


def fetch(spec: dict, mirror: str) -> bytes:
    with urllib.request.urlopen(mirror + spec["pool"], timeout=300) as response:
        deb = response.read()
    digest = hashlib.sha256(deb).hexdigest()
    if digest != spec["sha256"]:
        raise SystemExit(f"{spec['pool']}: SHA-256 {digest}, expected {spec['sha256']}")
    return deb


def shrink(photo: Image.Image) -> Image.Image:
    """Shorter side to SHORT_SIDE px, as the shared photos were prepared."""
    width, height = photo.size
    scale = SHORT_SIDE / min(width, height)
    return photo.resize((round(width * scale), round(height * scale)), Image.LANCZOS)


def out_name(package: str, file: str) -> str:
    stem = Path(file).stem.lower().replace("_", "-")
    return f"{package}-{stem}.jpg"


def add_package(spec: dict, train: Path, mirror: str):
    """Extract, shrink and save one package's photos; yield their manifest rows."""
    with tempfile.TemporaryDirectory() as tmp:
        deb = Path(tmp) / "package.deb"
        deb.write_bytes(fetch(spec, mirror))
        subprocess.run(["dpkg-deb", "-x", str(deb), tmp], check=True)
        for file, (licence, credit) in spec["photos"].items():
            original = Image.open(io.BytesIO((Path(tmp) / spec["folder"] / file).read_bytes()))
            photo = shrink(original.convert("RGB"))
            name = out_name(spec["package"], file)
            photo.save(train / name, quality=90)
            size = "x".join(map(str, original.size))
            yield {
                "split": "train",
                "file": f"train/{name}",
                "package": spec["package"],
                "version": spec["version"],
                "path_in_package": "/" + spec["folder"] + file,
                "debian_license": licence,
                "debian_copyright": spec["copyright"],
                "credit": credit,
                "orig_size": size,
                "out_size": "x".join(map(str, photo.size)),
                "upscale": "1.00",
                "grayscale": "0",
                "notes": f"{spec['suite']}; orig {size} -> {photo.size[0]}x{photo.size[1]}",
            }


def build(base: Path, out: Path, packages: list, mirror: str = MIRROR) -> int:
    """OUT/train and OUT/manifest.csv from BASE's training photos and `packages`; the new count."""
    train = out / "train"
    train.mkdir(parents=True, exist_ok=True)
    with (base / "manifest.csv").open(newline="") as file:
        reader = csv.DictReader(file)
        columns, rows = reader.fieldnames, [row for row in reader if row["split"] == "train"]
    for row in rows:
        link = out / row["file"]
        link.unlink(missing_ok=True)
        link.symlink_to((base / row["file"]).resolve())
    for spec in packages:
        rows.extend(add_package(spec, train, mirror))
    with (out / "manifest.csv").open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return sum(len(spec["photos"]) for spec in packages)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base", required=True, type=Path, help="photo set with train/ and manifest.csv")
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--mirror", default=MIRROR, help="Debian archive URL ending in /")
    args = parser.parse_args()
    new = build(args.base, args.out, PACKAGES, args.mirror)
    print(f"{args.out}/train: {new} new photos beside the linked ones of {args.base}")


if __name__ == "__main__":
    main()
