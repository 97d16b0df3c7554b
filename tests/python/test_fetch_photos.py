"""scripts/fetch_photos.py: pinned packages only, photos shrunk as the shared set, every photo credited."""

import csv
import hashlib
import subprocess
import tempfile
import unittest
from pathlib import Path

from PIL import Image

from scripts.fetch_photos import PACKAGES, build, out_name

# The shared manifest's columns.
BASE_MANIFEST = """split,file,package,version,path_in_package,debian_license,debian_copyright,credit,\
orig_size,out_size,upscale,grayscale,notes
train,train/pkg-a-sea.jpg,pkg-a,1,/usr/a.png,GPL-3+,y,A,600x400,576x384,1.00,0,n
samples,samples/pkg-a-sea.jpg,pkg-a,1,/usr/a.png,GPL-3+,y,A,600x400,576x384,1.00,0,n
"""


class FetchPhotosTest(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.dir = Path(tmp.name)
        base = self.dir / "base"
        (base / "train").mkdir(parents=True)
        Image.new("RGB", (600, 400), (10, 20, 30)).save(base / "train" / "pkg-a-sea.jpg")
        (base / "manifest.csv").write_text(BASE_MANIFEST)
        # A tiny Debian package with one 1000 x 500 "wallpaper", served from a file:// mirror.
        root = self.dir / "deb-root"
        (root / "DEBIAN").mkdir(parents=True)
        (root / "DEBIAN" / "control").write_text(
            "Package: pkg-b\nVersion: 2\nArchitecture: all\nMaintainer: t <t@t>\nDescription: t\n"
        )
        (root / "usr" / "share" / "pics").mkdir(parents=True)
        Image.new("RGB", (1000, 500), (200, 100, 50)).save(root / "usr" / "share" / "pics" / "Big_Wave.jpg")
        pool = self.dir / "mirror" / "pool"
        pool.mkdir(parents=True)
        subprocess.run(
            ["dpkg-deb", "--build", str(root), str(pool / "pkg-b.deb")], check=True, capture_output=True
        )
        self.spec = {
            "package": "pkg-b",
            "version": "2",
            "suite": "trixie",
            "pool": "pool/pkg-b.deb",
            "sha256": hashlib.sha256((pool / "pkg-b.deb").read_bytes()).hexdigest(),
            "folder": "usr/share/pics/",
            "copyright": "2024 B",
            "photos": {"Big_Wave.jpg": ("CC0-1.0", "B, photographer")},
        }
        self.mirror = (self.dir / "mirror").as_uri() + "/"

    def test_merges_the_base_set_and_the_new_photos(self):
        out = self.dir / "out"
        self.assertEqual(build(self.dir / "base", out, [self.spec], self.mirror), 1)
        self.assertTrue((out / "train" / "pkg-a-sea.jpg").is_symlink())
        with Image.open(out / "train" / "pkg-b-big-wave.jpg") as photo:
            self.assertEqual(photo.size, (768, 384))
        with (out / "manifest.csv").open(newline="") as file:
            rows = {row["file"]: row for row in csv.DictReader(file)}
        self.assertEqual(set(rows), {"train/pkg-a-sea.jpg", "train/pkg-b-big-wave.jpg"})
        new = rows["train/pkg-b-big-wave.jpg"]
        self.assertEqual(
            (new["package"], new["version"], new["debian_license"], new["credit"]),
            ("pkg-b", "2", "CC0-1.0", "B, photographer"),
        )
        self.assertEqual(new["path_in_package"], "/usr/share/pics/Big_Wave.jpg")

    def test_a_package_whose_digest_differs_is_refused(self):
        self.spec["sha256"] = "0" * 64
        with self.assertRaises(SystemExit) as refused:
            build(self.dir / "base", self.dir / "out", [self.spec], self.mirror)
        self.assertIn("SHA-256", str(refused.exception))

    def test_the_pinned_list_credits_every_photo_and_names_no_reserved_package(self):
        reserved = {"palapeli-data", "python3-scipy", "python3-sklearn", "python-matplotlib-data"}
        names = [out_name(spec["package"], file) for spec in PACKAGES for file in spec["photos"]]
        self.assertEqual(len(names), len(set(names)))
        for spec in PACKAGES:
            self.assertNotIn(spec["package"], reserved)
            self.assertFalse(spec["package"].startswith(("lomiri-wallpapers-20.04", "tuxpaint")))
            self.assertEqual(len(spec["sha256"]), 64)
            for licence, credit in spec["photos"].values():
                self.assertTrue(licence and credit)


if __name__ == "__main__":
    unittest.main()
