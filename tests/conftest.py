"""Shared fixtures: the bundled data loaded once, an embedded store over it, and its
validation on two dates (before and after the new Socialtjänstlag).

`--stores inbyggd` (or a comma-separated subset of STORES) runs the store-dependent tests on
those stores only, for a quick local run without Virtuoso; CI runs all three."""

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from ansvarsgraf.dataset import load_data
from ansvarsgraf.embedded_store import OxigraphStore
from ansvarsgraf.validation import validate


STORES = ("inbyggd", "oxigraph-server", "virtuoso")


# Figures a test measures (scores, how many answers a sweep checked) go to the end of the run
# through the test report, not to the terminal directly: with `-n 2` (scripts/test.sh) a worker
# has no terminal, and its report reaches the main process with the test's user_properties.
@pytest.fixture
def figures(request):
    def record(text: str) -> None:
        request.node.user_properties.append(("mätvärde", text.strip("\n")))
    return record


def pytest_terminal_summary(terminalreporter):
    shown = [(report.nodeid, text) for reports in terminalreporter.stats.values() for report in reports
             if hasattr(report, "user_properties") and getattr(report, "when", "call") == "call"
             for name, text in report.user_properties if name == "mätvärde"]
    if shown:
        terminalreporter.section("mätvärden")
        for nodeid, text in sorted(shown):
            terminalreporter.write_line(f"{nodeid}\n{text}")
# What marks a test as needing a store: its parameter id, or a fixture that starts the server.
# (Tests on the shared `embedded` store run whatever is chosen: the store does not matter there.)
NEEDS = {"inbyggd": {"inbyggd"}, "oxigraph-server": {"oxigraph-server", "oxigraph_endpoints"},
         "virtuoso": {"virtuoso", "virtuoso_endpoints"}}


def pytest_addoption(parser):
    parser.addoption("--stores", default=",".join(STORES), metavar="LAGER[,LAGER]",
                     help="kör lagerberoende tester bara mot dessa lager: " + ", ".join(STORES)
                          + " (standard: alla tre, som i CI)")


def _chosen_stores(config) -> set[str]:
    chosen = {name.strip() for name in config.getoption("stores").split(",") if name.strip()}
    unknown = chosen - set(STORES)
    if unknown or not chosen:
        raise pytest.UsageError(f"--stores: okänt lager {', '.join(sorted(unknown)) or '(tomt)'}; "
                                f"välj bland {', '.join(STORES)}")
    return chosen


def _stores_needed(item) -> set[str]:
    callspec = getattr(item, "callspec", None)
    marks = {v for v in callspec.params.values() if isinstance(v, str)} if callspec else set()
    marks |= set(item.fixturenames)
    return {name for name, needs in NEEDS.items() if marks & needs}


# Files in one xdist group run in one worker: the two that check the validation engines on the
# same pySHACL runs (validated_fixtures below), and the Chromium ones, so that two browsers
# never draw 6000-px exports at once (a renderer crashed so under two workers).
SHARED_RUNS = {"test_shape_rules.py": "validering", "test_validation_engines.py": "validering",
               **{name: "webbläsare" for name in ("test_browser.py", "test_browser_security.py", "test_explore.py",
                                                  "test_explore_browser.py", "test_page_staff.py",
                                                  "test_page_support_browser.py")}}
# The longest groups first, so that neither worker is left alone with one at the end. The
# matching evaluation (~6 min in a cold run: five folds from one factorisation of a 23,000-row
# gram matrix, then 18,600 questions) has been the longest since 2026-12-06.
FIRST = ("test_matching_eval.py", "webbläsare", "validering", "test_benchmark.py")


def _group(item) -> str:
    return SHARED_RUNS.get(item.path.name, item.path.name)


# tryfirst: xdist's worker adds the group to each test's id in its own hook, which pluggy
# would otherwise call before this one (it registers later): the marks came too late and
# the groups were split over both workers, each building the shared fixtures itself.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    chosen = _chosen_stores(config)
    keep, skipped = [], []
    for item in items:
        needed = _stores_needed(item)
        (keep if needed <= chosen else skipped).append(item)
        # With `-n 2 --dist loadgroup` (scripts/test.sh) a file's tests run in one worker, so its
        # module fixtures are built once; files that share an expensive session fixture form
        # one group (SHARED_RUNS).
        item.add_marker(pytest.mark.xdist_group(_group(item)))
    if skipped:
        config.hook.pytest_deselected(items=skipped)
    keep.sort(key=lambda item: FIRST.index(_group(item)) if _group(item) in FIRST else len(FIRST))
    items[:] = keep


@pytest.fixture(scope="session")
def loaded():
    return load_data()


@pytest.fixture(scope="session", autouse=True)
def quote_patterns_compiled_once():
    """Every validation of the whole data checks ~1,500 quotes, each through a regular
    expression of ~800 characters compiled anew (re's own cache holds 512): 1.3 s of a 3.8 s
    validation. Tests validate the data in one process many times (`load`, `prepare` and
    `validate` through cli.main, the validation fixtures), so the patterns are compiled once
    per worker. quote_pattern is a pure function of the quote and the readings: the same
    pattern comes back, and every quote is still searched for in every run."""
    import functools

    from ansvarsgraf import quotes

    real = quotes.quote_pattern

    @functools.lru_cache(maxsize=None)
    def compiled(quote: str, readings: tuple, breaks):
        return real(quote, {char: set(chars) for char, chars in readings}, breaks)

    def once(quote, readings=None, breaks=None):
        return compiled(quote, tuple(sorted((char, frozenset(chars)) for char, chars in (readings or {}).items())), breaks)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(quotes, "quote_pattern", once)
        yield


# The session's servers get the session's data as `load` publishes it, without `load` reading
# and validating it again (5-10 s a server and worker); `load` itself is tested on servers of
# their own (test_stores.py, test_faults.py, test_data_version.py).
@pytest.fixture(scope="session")
def oxigraph_endpoints(tmp_path_factory, loaded):
    from sparql_servers import publish_loaded, oxigraph_server

    with oxigraph_server(tmp_path_factory.mktemp("oxigraph")) as endpoints:
        publish_loaded(endpoints, loaded)
        yield endpoints


@pytest.fixture(scope="session")
def virtuoso_endpoints(tmp_path_factory, loaded):
    from sparql_servers import publish_loaded, virtuoso_server

    with virtuoso_server(tmp_path_factory.mktemp("virtuoso")) as endpoints:
        publish_loaded(endpoints, loaded)
        yield endpoints


def _store(request, loaded):
    if request.param == "inbyggd":
        return OxigraphStore.from_loaded(loaded)
    from ansvarsgraf.remote_store import SparqlEndpointStore

    fixture = {"oxigraph-server": "oxigraph_endpoints", "virtuoso": "virtuoso_endpoints"}[request.param]
    return SparqlEndpointStore(request.getfixturevalue(fixture)["query"])


@pytest.fixture(scope="session", params=STORES)
def store(request, loaded):
    """Every test that asks the graph runs against the embedded store and two real servers
    (the Oxigraph server and Virtuoso Open Source), with the same expected answers."""
    return _store(request, loaded)


@pytest.fixture(scope="session", params=STORES[1:])
def server_store(request, loaded):
    """The SPARQL servers only: a test that compares a store with the embedded one would
    compare the embedded store with itself if it took `store`."""
    return _store(request, loaded)


@pytest.fixture(scope="session")
def embedded(loaded):
    """One embedded store, built once: the reference the servers are compared with, and the
    store of the tests where the store does not matter (middleware, privacy, headers,
    fuzzing the routes, matching); those run once, not once per store. Its matchers are built
    here, outside any test's time limit: on a machine without their caches (CI) that takes
    minutes, and a matching test that waited for them failed at 120 s (2026-12-06)."""
    from ansvarsgraf.catalog import catalog_for

    store = OxigraphStore.from_loaded(loaded)
    catalog_for(store).matchers.result()
    return store


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    """The package's wheel, built once per session (the packaging and quote tests read it)."""
    folder = tmp_path_factory.mktemp("hjul")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", str(Path(__file__).resolve().parents[1]),
                    "-w", str(folder)], check=True, capture_output=True, cwd=folder)
    return next(folder.glob("ansvarsgraf-*.whl"))


@pytest.fixture(scope="session")
def findings_2026(loaded):
    return validate(loaded, dt.date(2026, 3, 1))


@pytest.fixture(scope="session")
def validated_fixtures():
    """Both validation engines on the SHACL rule fixtures on every date their headers name
    (shape_fixtures.py), once per session: test_shape_rules.py checks each rule fires in each
    engine, test_validation_engines.py that the engines agree, on the same runs."""
    from shape_fixtures import validate_fixtures
    return validate_fixtures()


# The Chromium files (one xdist group, one worker) share one `ansvarsgraf serve` and one
# browser: each module starting its own cost 20-30 s of server start-up per file at load.
# test_browser.py's `server` and `browser`, which the other files import, hand these on.
# The files that only read from a default server (the SPARQL clients, the W3C protocol cases,
# schemathesis) take it too: a start is ~8 s of CPU. test_privacy.py and test_sparql_load.py
# keep servers of their own (the one counts log lines, the other loads the server on purpose).
@pytest.fixture(scope="session")
def served(tmp_path_factory):
    from server import running_server

    log = tmp_path_factory.mktemp("server") / "serve.log"
    with running_server(log) as base:
        yield base, log


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright
    from test_browser import ARGS, CHROMIUM

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()
