"""Where the project's ontology, data and queries live.

The package is installed in editable mode from the repository, so the data folders are
found relative to the source tree; ANSVARSGRAF_HOME points elsewhere when needed.
"""

import os
from pathlib import Path

PROJECT_ROOT = Path(os.environ.get("ANSVARSGRAF_HOME", Path(__file__).resolve().parents[2]))
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
        return str(Path(path).resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)
