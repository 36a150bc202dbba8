"""Imports run one way (docs/arkitektur.md): a module imports only from its own layer or
lower ones, read from the source with ast (imports inside functions count too), and no
modules import each other, however indirectly. So the core never imports web or cli."""

import ast
import re
from pathlib import Path

import networkx as nx

import ansvarsgraf

PACKAGE = Path(ansvarsgraf.__file__).parent

# Lowest first. A module not listed here fails the test: a new module gets a layer.
LAYERS = [
    ("vokabulär och fel", "cache_files errors ids paths privacy vocabulary links dates durations"),
    ("inläsning", "context yaml_source turtle_source law_table dataset quotes sparql_syntax queries"),
    ("lager", "graph_store embedded_store store_guard remote_store publish sparql_endpoint"),
    ("validering", "fast_shacl validation shape_queries"),
    ("svarsmotor", "results organisation_index matching question_model answer_judge e5_weights e5_tokenizer e5_onnx embedding reranking catalog describe law_in_force duties forums answering"),
    ("analyser och vyer", "wording gaps changes impact raci graph_view compare_view scenarios data_diff"),
    ("förberedda svar och text", "precomputed prepared configured_store cli_text"),
    ("webb och kommandorad", "web cli __init__"),
]
LAYER = {module: rank for rank, (_, modules) in enumerate(LAYERS) for module in modules.split()}
# The facades that re-exported the names from before answer.py and store.py were split
# (issue 15): every importer now names the module that does the job, so they must not return.
RETIRED = {"answer", "store"}
ROOT = PACKAGE.parent.parent


def imports(path: Path, package: Path = PACKAGE) -> set[str]:
    """The package's modules a source file imports (any module of ansvarsgraf.web is 'web')."""
    here = path.relative_to(package.parent).with_suffix("").parts[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = [*here[: len(here) - node.level + 1], *filter(None, (node.module or "").split("."))]
            names = [base] if node.module else [[*base, a.name] for a in node.names]
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [n.split(".") for n in ([a.name for a in node.names] if isinstance(node, ast.Import) else [node.module])]
        else:
            continue
        found |= {n[1] for n in names if n[0] == "ansvarsgraf" and len(n) > 1}
    return found


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in package.rglob("*.py"):
        name = "web" if path.parent.name == "web" else path.stem
        graph.setdefault(name, set()).update(imports(path, package) - {name})
    return graph


def wrong_way(graph: dict[str, set[str]]) -> list[str]:
    return [f"{a} ({LAYERS[LAYER[a]][0]}) importerar {b} ({LAYERS[LAYER[b]][0]})"
            for a, targets in graph.items() for b in sorted(targets) if LAYER[b] > LAYER[a]]


def test_every_module_has_a_layer_and_imports_run_one_way():
    graph = import_graph()
    assert sorted(set(graph) - set(LAYER)) == []
    assert wrong_way(graph) == []
    assert list(nx.simple_cycles(nx.DiGraph([(a, b) for a, bs in graph.items() for b in bs]))) == []


def test_a_reversed_import_is_found(tmp_path):
    """The check can fail: a core module importing the web or the CLI, written in each way
    the package writes imports (relative, absolute, inside a function), is caught."""
    fake = tmp_path / "ansvarsgraf" / "graph_view.py"
    fake.parent.mkdir()
    for line in ("from .web.pages import render", "import ansvarsgraf.cli", "def late():\n    from . import web"):
        fake.write_text((PACKAGE / "graph_view.py").read_text(encoding="utf-8") + "\n" + line + "\n", encoding="utf-8")
        assert wrong_way(import_graph(fake.parent)) != [], line
    fake.write_text((PACKAGE / "graph_view.py").read_text(encoding="utf-8"), encoding="utf-8")
    assert wrong_way(import_graph(fake.parent)) == []


def test_the_old_facades_stay_gone():
    """Neither `ansvarsgraf.answer` nor `ansvarsgraf.store` exists, gets a layer, or is
    imported anywhere: package, tests, benchmarks, scripts (however the import is written)."""
    assert RETIRED & (set(import_graph()) | set(LAYER)) == set()
    importers = sorted(str(path.relative_to(ROOT)) for folder in ("src", "tests", "benchmarks", "scripts")
                       for path in (ROOT / folder).rglob("*.py") if RETIRED & old_imports(path))
    assert importers == []


def old_imports(path: Path) -> set[str]:
    """The package's modules an absolute import in any file names (`ansvarsgraf.store`,
    `from ansvarsgraf import store`); inside the package the relative ones too."""
    if PACKAGE in path.parents:
        return imports(path)
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("ansvarsgraf.")}
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            parts = node.module.split(".")
            if parts[0] == "ansvarsgraf":
                found |= {parts[1]} if len(parts) > 1 else {a.name for a in node.names}
    return found


def test_an_import_of_a_facade_is_found(tmp_path):
    """The check can fail: each way a test or script could import a facade is caught."""
    for line in ("from ansvarsgraf.answer import answer_task", "import ansvarsgraf.store",
                 "from ansvarsgraf import store", "def late():\n    from ansvarsgraf.store import open_store"):
        script = tmp_path / "script.py"
        script.write_text(line + "\n", encoding="utf-8")
        assert RETIRED & old_imports(script), line
    script.write_text("from ansvarsgraf.answering import answer_task\nimport ansvarsgraf.storeroom\n", encoding="utf-8")
    assert RETIRED & old_imports(script) == set()


def documented_modules(text: str) -> set[str]:
    """The modules docs/arkitektur.md's module table names (`web/app`, or several in a row)."""
    table = text[text.index("## Moduler"):]
    return {name for row in re.findall(r"^\| (`[^|]+`) \|", table, re.MULTILINE) for name in re.findall(r"`([^`]+)`", row)}


def package_modules(package: Path = PACKAGE) -> set[str]:
    return {str(p.relative_to(package).with_suffix("")) for p in package.rglob("*.py") if p.stem != "__init__"}


def test_the_module_table_names_every_module_and_only_those():
    """docs/arkitektur.md has one line for each module that exists, for the next engineer."""
    documented = documented_modules((ROOT / "docs" / "arkitektur.md").read_text(encoding="utf-8"))
    assert sorted(package_modules() - documented) == []
    assert sorted(documented - package_modules()) == []
