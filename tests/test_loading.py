"""Broken data files give located errors and load nothing; good files load completely."""

import textwrap
from pathlib import Path

import pytest

from ansvarsgraf.dataset import DATA_DIR, load_data
from ansvarsgraf.errors import DataLoadError


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def load_errors(path):
    with pytest.raises(DataLoadError) as caught:
        load_data(paths=[path], base_paths=[DATA_DIR])
    return caught.value.errors


def only_error(path):
    errors = load_errors(path)
    assert len(errors) == 1, errors
    return errors[0]


def test_bundled_data_loads_with_every_file(loaded):
    assert len(loaded.files) >= 20
    assert all(len(g) > 0 for g in loaded.files.values())


def test_yaml_syntax_error_names_file_and_line(tmp_path):
    path = write(tmp_path, "trasig.yaml", """
        - id: en-nod
          typ: Forum
          namn: "Ett forum
          källa: kalla-timra-2020
        """)
    error = only_error(path)
    assert error.file.endswith("trasig.yaml")
    assert error.line == 3  # where the unclosed quote starts, not where the parser noticed
    assert "YAML-syntaxfel" in error.message
    # what was left unfinished (the parser's context), not only what it found at the end
    assert "while scanning a quoted scalar, found unexpected end of stream" in error.message


def test_unknown_key_is_reported_with_a_suggestion(tmp_path):
    path = write(tmp_path, "nyckel.yaml", """
        - id: ett-forum
          typ: Forum
          namn: Ett forum
          sammankalande: timra-socialnamnden
        """)
    error = only_error(path)
    assert error.line == 4
    assert "sammankalande" in error.message and "sammankallande" in error.message


def test_duplicate_key_in_one_node(tmp_path):
    path = write(tmp_path, "dubbel.yaml", """
        - id: ett-forum
          typ: Forum
          namn: Ett forum
          namn: Ett annat namn
        """)
    error = only_error(path)
    assert error.line == 4 and "två gånger" in error.message


HISTORY = """
    - id: en-overenskommelse
      typ: Överenskommelse
      namn: En överenskommelse
      status:
        - värde: gällande
          {entry}
"""


@pytest.mark.parametrize("text, line, expected", [
    # a misspelt key in a status history entry, with the key meant
    (HISTORY.format(entry='frn: 2021\n          slutsats: "Påhittat värde."'), 6,
     ["okänd nyckel 'frn' i statushistoriken", "menade du 'från'"]),
    # an entry's support written both in the entry and under its `stöd:`: choose one
    (HISTORY.format(entry='från: 2021\n          slutsats: "Påhittat värde."\n          stöd:\n            - slutsats: "Påhittat värde."'), 7,
     ["skriv postens stöd antingen direkt i posten eller under dess 'stöd:', inte båda"]),
    # an id written as a list: the error names the key
    ("- id: [ett-forum, ett-annat]\n  typ: Forum\n  namn: Ett forum\n", 1, ["'id' ska ha ett enkelt värde"]),
])
def test_a_mistake_is_told_at_its_line_with_what_to_write(tmp_path, text, line, expected):
    error = only_error(write(tmp_path, "fel.yaml", text))
    assert error.line == line and all(part in error.message for part in expected), error


def test_every_mistake_in_a_node_is_reported_in_one_pass(tmp_path):
    """A date written twice does not hide the mistakes written after it in the node: the
    jurist fixes them all at once instead of one per load."""
    path = write(tmp_path, "flera-fel.yaml", """
        - id: en-overenskommelse
          typ: Överenskommelse
          namn: En överenskommelse
          giltig_från_år: 2021
          giltig_från: 2021-03-01
          sammankalande: timra-socialnamnden
        """)
    found = [(e.line, e.message) for e in load_errors(path)]
    assert [line for line, _ in found] == [5, 6], found
    assert "en gång" in found[0][1] and "okänd nyckel 'sammankalande'" in found[1][1]


@pytest.mark.parametrize("key,value,expected", [
    ("giltig_från", "2019-02-30", "datum"),
    ("giltig_från", "1 februari 2019", "datum"),
    ("revideras", "årligen", "varaktighet"),
    ("status", "pågår", "känt värde"),
    ("parter", "Region Skåne", "id"),
    # a date is a year, a month or a day (issue 16), nothing else
    ("giltig_från", "2021-13", "ÅÅÅÅ-MM"),
    ("giltig_från", "21-10", "ÅÅÅÅ"),
    ("observerad", "hösten 2021", "ÅÅÅÅ"),
    ("svar_senast", "2021-1", "ÅÅÅÅ"),
])
def test_bad_values_are_located(tmp_path, key, value, expected):
    path = write(tmp_path, "varde.yaml", f"""
        - id: en-overenskommelse
          typ: Överenskommelse
          namn: En överenskommelse
          {key}: {value}
        """)
    errors = load_errors(path)
    assert any(e.line == 4 and expected in e.message for e in errors), errors


def test_unknown_type_gets_a_suggestion(tmp_path):
    path = write(tmp_path, "typ.yaml", """
        - id: en-overenskommelse
          typ: Överenskomelse
          namn: En överenskommelse
        """)
    error = only_error(path)
    assert error.line == 2 and "okänd typ" in error.message and "Överenskommelse" in error.message


def test_id_defined_twice_across_files(tmp_path):
    path = write(tmp_path, "kopia.yaml", """
        - id: timra-kommun
          typ: Kommun
          namn: Timrå igen
        """)
    error = only_error(path)
    assert "definieras redan" in error.message and "timra" in error.message
    assert error.line == 1


def test_nothing_is_loaded_when_one_file_is_broken(tmp_path):
    good = write(tmp_path, "bra.yaml", """
        - id: ett-bra-forum
          typ: Forum
          namn: Ett bra forum
        """)
    bad = write(tmp_path, "dalig.yaml", "- id: [\n")
    with pytest.raises(DataLoadError) as caught:
        load_data(paths=[good, bad], base_paths=[DATA_DIR])
    assert [e.file for e in caught.value.errors] == [str(bad)]


def test_turtle_syntax_error_has_a_line(tmp_path):
    path = write(tmp_path, "data.ttl", """
        @prefix ag: <https://w3id.org/ansvarsgraf/def#> .
        <https://w3id.org/ansvarsgraf/id/x> a ag:Forum .
        <https://w3id.org/ansvarsgraf/id/y> a .
        """)
    error = only_error(path)
    assert error.line == 3 and "Turtle" in error.message


def test_csv_table_row_error_has_a_line(tmp_path):
    path = write(tmp_path, "tabell.csv", """
        old,old_uri,new,new_uri,scope,table_row,note
        1 kap. 1 §,https://lagen.nu/2001:453#K1P1,2 kap. 1 §,https://lagen.nu/2025:400#K2P1,delvis,rad,
        1 kap. 2 §,https://lagen.nu/2001:453#K1P2,3 kap. 1 §,https://lagen.nu/2025:400#K3P1,nästan,rad,
        """)
    error = only_error(path)
    assert error.line == 3 and "omfattning" in error.message


def test_non_utf8_file_is_refused(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("- id: ett-forum\n  typ: Forum\n  namn: Förum\n".encode("latin-1"))
    assert "UTF-8" in only_error(path).message


def test_libyaml_and_pure_python_composers_read_every_file_alike(monkeypatch):
    """Files are composed by libyaml for speed; the graph, the lines and the errors must be what
    the pure-Python composer (whose error marks the messages are written for) gives."""
    import yaml
    from rdflib.compare import to_isomorphic

    from ansvarsgraf.yaml_source import read_yaml_file

    if not hasattr(yaml, "CSafeLoader"):
        pytest.skip("PyYAML without libyaml: only the pure-Python composer is used")
    files = sorted(DATA_DIR.rglob("*.yaml")) + sorted((Path(__file__).parent / "data").rglob("*.yaml"))
    fast = {f: read_yaml_file(f, f.name) for f in files}
    monkeypatch.delattr(yaml, "CSafeLoader")
    for f in files:
        slow = read_yaml_file(f, f.name)
        assert [str(e) for e in fast[f].errors] == [str(e) for e in slow.errors], f
        assert fast[f].sourcemap == slow.sourcemap, f
        assert to_isomorphic(fast[f].graph) == to_isomorphic(slow.graph), f
    assert any(r.errors for r in fast.values())  # the broken fixtures are among them


def test_exports_write_iris_with_the_prefixes_the_data_files_use(loaded):
    """`ansvarsgraf export` (TriG per file, Turtle and JSON-LD of the merged graph) writes the
    project's IRIs short, with the prefix names the YAML files use (ontology/context.jsonld;
    the base of the ids as `id:`, as docs/model.md writes them), each for its own namespace."""
    import json

    from ansvarsgraf.paths import CONTEXT_FILE

    context = json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))["@context"]
    namespaces = {name: iri for name, iri in context.items()
                  if not name.startswith("@") and isinstance(iri, str) and iri.startswith("http") and iri[-1] in "/#"}
    namespaces["id"] = context["@base"]
    for graph in (loaded.merged(with_ontology=True), loaded.dataset()):
        bound = {prefix: str(ns) for prefix, ns in graph.namespaces()}
        used = {str(term) for triple in graph.triples((None, None, None)) for term in triple}
        for name, iri in namespaces.items():
            if any(term.startswith(iri) for term in used):
                assert bound.get(name) == iri, (name, iri, bound.get(name))


@pytest.mark.parametrize("name, create, expected", [
    ("saknas.yaml", False, "filen finns inte"),
    ("anteckning.txt", True, "okänt filformat '.txt'"),
])
def test_a_named_file_that_cannot_be_read_is_a_located_error(tmp_path, name, create, expected):
    """`ansvarsgraf validate FIL` with a file that does not exist or is no data file gets an
    error naming that file, and nothing is loaded."""
    path = tmp_path / name
    if create:
        path.write_text("id: x\n", encoding="utf-8")
    error = only_error(path)
    assert error.file.endswith(name) and error.line is None
    assert expected in error.message


def test_a_folder_that_is_its_own_base_loads_without_the_bundled_data(tmp_path):
    """`ansvarsgraf diff` loads an old version of data/ with itself as the base (data_diff.py):
    nothing from the working copy may mix in, or a node removed since would still be found."""
    folder = tmp_path / "data"
    folder.mkdir()
    write(folder, "forum.yaml", """
        - id: ett-eget-forum
          typ: Forum
          namn: Ett eget forum
        """)
    loaded = load_data(paths=[folder], base_paths=[folder])
    assert list(loaded.files) == [str(folder / "forum.yaml")]


def test_base_paths_are_loaded_with_the_bundled_data_when_no_paths_are_named(tmp_path):
    """load_data's base_paths are read too (for reference) also when no paths are named:
    then the data is the bundled data/, with the base folder beside it."""
    folder = tmp_path / "bas"
    folder.mkdir()
    write(folder, "forum.yaml", """
        - id: ett-forum-i-basen
          typ: Forum
          namn: Ett forum i basen
        """)
    loaded = load_data(base_paths=[folder])
    assert str(folder / "forum.yaml") in loaded.files
    assert any(name.startswith("data/") for name in loaded.files)
