"""A catalog builds its matchers (the lexical ones and the semantic re-ranker) when they are
first asked for, not when it is read: every command that read gaps or pages built them too,
and waited at exit for the build (~70 s and 5 GB of training on data without a prepared
question model). A server asks at start-up, so its first question still finds them built."""

from ansvarsgraf import catalog as catalog_module
from ansvarsgraf.embedded_store import OxigraphStore
from ansvarsgraf.web.app import keep_out_of_garbage_collection


def _builds(monkeypatch) -> list:
    built = []
    original = catalog_module._build_matchers

    def counted(store, tasks):
        built.append(store)
        return original(store, tasks)

    monkeypatch.setattr(catalog_module, "_build_matchers", counted)
    return built


def _queue_drained() -> None:
    """The builder has one thread: a job submitted now runs after any build submitted before."""
    catalog_module._MATCHER_BUILDER.submit(lambda: None).result()


def test_a_catalog_read_for_other_things_builds_no_matchers(loaded, monkeypatch):
    built = _builds(monkeypatch)
    catalog = catalog_module.catalog_for(OxigraphStore.from_loaded(loaded))
    assert catalog.municipalities and catalog.task_labels
    _queue_drained()
    assert built == [] and not catalog.matchers.done()
    assert catalog.matcher.match("vem kallar till SIP")  # asked for: built, once
    assert len(built) == 1 and catalog.matchers.done()


def test_a_server_starts_the_build_when_it_warms_up(loaded, monkeypatch):
    built = _builds(monkeypatch)
    catalog = catalog_module.catalog_for(OxigraphStore.from_loaded(loaded))
    keep_out_of_garbage_collection(catalog)
    _queue_drained()
    assert len(built) == 1 and catalog.matchers.done()
