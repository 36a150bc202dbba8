"""Load the ontology and every data file into one graph, all or nothing.

Each file is read on its own (YAML, Turtle or a CSV comparison table) into its own graph,
so an export can keep one named graph per file. If any file has an error, every error is
reported and nothing is returned: a half-loaded graph would give confident wrong answers.
"""

from dataclasses import dataclass, field
from pathlib import Path

import rdflib

from .errors import DataError, DataLoadError
from .law_table import complete_provisions, read_table
from .paths import DATA_DIR, DATA_SUFFIXES, ONTOLOGY_FILES, display_path
from .turtle_source import read_turtle_file
from .vocabulary import AG
from .yaml_source import FileResult, SourceMap, read_yaml_file

FILE_GRAPH_BASE = "https://w3id.org/ansvarsgraf/graph/"


@dataclass
class LoadedData:
    """The data graphs by file, merged, with the line of every node."""

    files: dict[str, rdflib.Graph] = field(default_factory=dict)
    sourcemap: SourceMap = field(default_factory=SourceMap)
    ontology: rdflib.Graph = field(default_factory=rdflib.Graph)

    def merged(self, with_ontology: bool = False) -> rdflib.Graph:
        """All files in one graph (a fresh copy: validation adds to it)."""
        graph = rdflib.Graph()
        for part in self.files.values():
            graph += part
        if with_ontology:
            graph += self.ontology
        _bind_prefixes(graph)
        return graph

    def dataset(self) -> rdflib.Dataset:
        """One named graph per source file (and the ontology), for TriG export and stores."""
        ds = rdflib.Dataset()
        for name, part in list(self.files.items()) + [("ontology", self.ontology)]:
            g = ds.graph(graph_name(name))
            g += part
        _bind_prefixes(ds)
        return ds


def graph_name(display: str) -> rdflib.URIRef:
    return rdflib.URIRef(FILE_GRAPH_BASE + display.replace("\\", "/"))


def data_files(paths: list[Path] | None = None) -> list[Path]:
    """Every data file under the given paths (files or folders), in a stable order."""
    roots = paths or [DATA_DIR]
    found: list[Path] = []
    for root in roots:
        root = Path(root)
        if root.is_dir():
            found.extend(p for p in sorted(root.rglob("*")) if p.suffix in DATA_SUFFIXES and p.is_file())
        else:
            found.append(root)
    return found


def read_file(path: Path) -> FileResult:
    display = display_path(path)
    if not path.exists():
        return FileResult(rdflib.Graph(), SourceMap(), [DataError(display, None, "filen finns inte")], {})
    if path.suffix in (".yaml", ".yml"):
        return read_yaml_file(path, display)
    if path.suffix == ".ttl":
        return read_turtle_file(path, display)
    if path.suffix == ".csv":
        return read_table(path, display, table_id=path.stem)
    return FileResult(rdflib.Graph(), SourceMap(), [DataError(display, None, f"okänt filformat '{path.suffix}'; använd .yaml, .ttl eller .csv")], {})


def load_ontology() -> rdflib.Graph:
    graph = rdflib.Graph()
    for path in ONTOLOGY_FILES:
        graph.parse(path, format="turtle")
    return graph


def load_data(paths: list[Path] | None = None, base_paths: list[Path] | None = None) -> LoadedData:
    """Read the data files; raise DataLoadError with every error if any file is broken.

    base_paths are loaded too but only for reference (validation of a single agreement
    needs the organisations and vocabularies it points at); by default that is all data.
    """
    files = data_files(paths)
    if base_paths is not None or paths:
        extra = data_files(base_paths) if base_paths is not None else data_files(None)
        files = list(dict.fromkeys([*extra, *files]))
    loaded = LoadedData(ontology=load_ontology())
    errors: list[DataError] = []
    where_defined: dict[str, tuple[str, int]] = {}
    for path in files:
        result = read_file(path)
        display = display_path(path)
        errors.extend(result.errors)
        for iri, line in result.defined.items():
            if path.suffix in (".yaml", ".yml") and iri in where_defined:
                first_file, first_line = where_defined[iri]
                errors.append(DataError(display, line, f"'{iri}' definieras redan i {first_file}:{first_line}; ett id får bara definieras en gång"))
            else:
                where_defined.setdefault(iri, (display, line))
        loaded.files[display] = result.graph
        loaded.sourcemap.merge(result.sourcemap)
    if errors:
        raise DataLoadError(errors)
    derived = complete_provisions(loaded.merged())
    if len(derived):
        loaded.files["harledd"] = derived  # provisions only the comparison table names
    return loaded


def _bind_prefixes(graph: rdflib.Graph) -> None:
    for prefix, ns in (
        ("ag", str(AG)),
        ("id", "https://w3id.org/ansvarsgraf/id/"),
        ("skos", "http://www.w3.org/2004/02/skos/core#"),
        ("org", "http://www.w3.org/ns/org#"),
        ("eli", "http://data.europa.eu/eli/ontology#"),
        ("prov", "http://www.w3.org/ns/prov#"),
        ("dcterms", "http://purl.org/dc/terms/"),
        ("sfs", "https://lagen.nu/"),
        ("rinfo", "http://rinfo.lagrummet.se/publ/sfs/"),
    ):
        graph.bind(prefix, ns, override=True)
