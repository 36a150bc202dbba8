"""Ships the ontology, the bundled data, the named queries and the source texts (kallor/,
which validation checks every quote against) inside the wheel.

They live at the top of the repository (jurists and reviewers edit them there), so a plain
build would leave them out and an installed package could not answer a question. The build
copies them into `ansvarsgraf/_bundled/`, where `paths.py` finds them through
importlib.resources when the package does not run from its source tree.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

BUNDLED = ("ontology", "data", "queries", "kallor")


class BuildWithBundledFiles(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the repository's folders directly
        target = Path(self.build_lib) / "ansvarsgraf" / "_bundled"
        for name in BUNDLED:
            shutil.copytree(Path(__file__).parent / name, target / name, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildWithBundledFiles})
