"""Where the project's ontology, data and queries live.

In order: the folder ANSVARSGRAF_HOME names (another data folder, e.g. a region's own
models); the repository, when the package runs from its source tree (editable install,
tests); otherwise the copies the wheel ships inside the package (setup.py puts them in
`ansvarsgraf/_bundled/`), found through importlib.resources.
"""

import os
from importlib import resources
from pathlib import Path


def _project_root() -> Path:
    if os.environ.get("ANSVARSGRAF_HOME"):
        return Path(os.environ["ANSVARSGRAF_HOME"])
    source_tree = Path(__file__).resolve().parents[2]
    if (source_tree / "ontology" / "ansvarsgraf.ttl").is_file():
        return source_tree
    # An installed wheel unpacks to real files, so the resource is a plain path.
    return Path(str(resources.files("ansvarsgraf") / "_bundled"))


PROJECT_ROOT = _project_root()
ONTOLOGY_DIR = PROJECT_ROOT / "ontology"
DATA_DIR = PROJECT_ROOT / "data"
QUERIES_DIR = PROJECT_ROOT / "queries"
CONTEXT_FILE = ONTOLOGY_DIR / "context.jsonld"
SHAPES_FILE = ONTOLOGY_DIR / "shapes.ttl"
ONTOLOGY_FILES = (ONTOLOGY_DIR / "ansvarsgraf.ttl", ONTOLOGY_DIR / "vocabularies.ttl")

# Data files by suffix; everything else in data/ (README, attribution) is not data.
DATA_SUFFIXES = (".yaml", ".yml", ".ttl", ".csv")


def display_path(path: Path) -> str:
    """A path as a jurist should see it: relative to the project when inside it."""
    try:
        return str(Path(path).resolve().relative_to(PROJECT_ROOT.resolve()))
    except ValueError:
        return str(path)
