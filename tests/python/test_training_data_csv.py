"""scripts/training_data_csv.py: the model card's list of every photo, its use and its credit."""

import tempfile
import unittest
from pathlib import Path

from scripts.training_data_csv import rows

MANIFEST = """split,file,package,version,path_in_package,debian_license,debian_copyright,credit,notes
train,train/b-rock.jpg,pkg-b,2,/usr/b.png,CC0-1.0,x,"B, photographer",n
train,train/a-sea.jpg,pkg-a,1,/usr/a.png,GPL-3+,y,A,n
train,train/c-tree.jpg,pkg-c,3,/usr/c.png,CC-BY-4.0,z,C,n
"""


class TrainingDataTest(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.dir = Path(tmp.name)
        (self.dir / "manifest.csv").write_text(MANIFEST)
        (self.dir / "training-files.txt").write_text("b-rock.jpg\na-sea.jpg\n")
        (self.dir / "holdout.txt").write_text("c-tree.jpg\n")

    def test_every_listed_photo_with_its_use_and_credit(self):
        listed = {row["file"]: row for row in rows(self.dir, self.dir / "manifest.csv")}
        self.assertEqual(set(listed), {"a-sea.jpg", "b-rock.jpg", "c-tree.jpg"})
        self.assertEqual(listed["c-tree.jpg"]["used_for"], "held out")
        self.assertEqual(
            listed["b-rock.jpg"],
            {
                "file": "b-rock.jpg",
                "used_for": "training",
                "package": "pkg-b",
                "version": "2",
                "path_in_package": "/usr/b.png",
                "debian_license": "CC0-1.0",
                "credit": "B, photographer",
            },
        )

    def test_a_photo_without_a_credit_stops_the_listing(self):
        (self.dir / "holdout.txt").write_text("unknown.jpg\n")
        with self.assertRaises(KeyError):
            list(rows(self.dir, self.dir / "manifest.csv"))


if __name__ == "__main__":
    unittest.main()
