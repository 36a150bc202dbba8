"""The command line: validate, ask, gaps, query, export, prepare, serve and load.

Every command prints Swedish for people and, with --json, JSON for programs. Exit codes:
0 fine, 1 violations or nothing found where an answer was required, 2 bad input, 3 (load)
another publisher holds the lock.
"""

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from .results import UnknownMunicipalityError, UnknownTaskError
from .dataset import DATA_DIR, load_data
from .errors import DataLoadError, StoreUnavailable
from .privacy import PersonalDataError
from .paths import display_path
from .prepared import NotAPreparedStoreError


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        return args.run(args)
    except DataLoadError as exc:
        print(f"Data kunde inte läsas ({len(exc.errors)} fel); inget har laddats:", file=sys.stderr)
        for error in exc.errors:
            print(f"  {error}", file=sys.stderr)
        return 1
    except (UserInputError, UnknownMunicipalityError, UnknownTaskError, PersonalDataError, NotAPreparedStoreError) as exc:
        print(f"Fel: {exc}", file=sys.stderr)
        return 2
    except InvalidDataError as exc:
        print(f"Data har {len(exc.violations)} fel enligt SHACL-reglerna per {exc.on_date}; {exc.refused}:", file=sys.stderr)
        for finding in exc.violations:
            print(f"  {finding}", file=sys.stderr)
        print("Rätta felen (kontrollera med `ansvarsgraf validate`) och försök igen.", file=sys.stderr)
        return 1
    except StoreUnavailable as exc:
        print(f"Fel: {exc}", file=sys.stderr)
        return 1


class UserInputError(Exception):
    """Input the user must correct (unknown municipality, impossible date …)."""


class InvalidDataError(Exception):
    """The data breaks a SHACL rule (severity FEL): it is neither served nor prepared, since
    an answer built on it could name a bearer that does not exist."""

    def __init__(self, violations: list, on_date: dt.date, refused: str):
        super().__init__(f"{len(violations)} fel")
        self.violations, self.on_date, self.refused = violations, on_date, refused


def valid_data(paths: list[Path] | None, refused: str):
    """The loaded data, once the same validation as `ansvarsgraf validate` finds no violation
    on today's date (warnings are allowed: they describe gaps the audits found)."""
    from .validation import run_validation

    loaded = load_data(paths)
    today = dt.date.today()
    violations = [f for f in run_validation(loaded, today).findings if f.severity == "FEL"]
    if violations:
        raise InvalidDataError(violations, today, refused)
    return loaded


def parse_date(text: str | None) -> dt.date:
    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UserInputError(f"'{text}' är inget giltigt datum; skriv ÅÅÅÅ-MM-DD, t.ex. 2026-03-01") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ansvarsgraf", description="Vem ansvarar? Kunskapsgraf över ansvar kring barn och unga.")
    sub = parser.add_subparsers(dest="command")

    p = sub.add_parser("validate", help="kontrollera data mot SHACL-reglerna")
    p.add_argument("paths", nargs="*", type=Path, help="filer eller mappar att rapportera om (standard: all data)")
    p.add_argument("--datum", help="datum som datumberoende regler prövas mot (standard: i dag)")
    p.add_argument("--json", action="store_true", help="skriv resultatet som JSON")
    p.add_argument("--varningar", action=argparse.BooleanOptionalAction, default=True, help="visa varningar (standard: ja)")
    p.add_argument("--helt", action="store_true", help="validera hela grafen även när filer anges (annars bara de angivna filernas noder)")
    p.add_argument("--motor", choices=["fast", "pyshacl"], default="fast",
                   help="valideringsmotor: fast (standard, samma resultat) eller pyshacl (referensen, långsam på stora grafer)")
    p.set_defaults(run=_validate)

    p = sub.add_parser("ask", help="fråga vem som ansvarar")
    _endpoint_option(p)
    p.add_argument("question", help="frågan, på svenska")
    p.add_argument("--kommun", required=True, help="kommunens namn, som det står i grafen (se /api/kommuner)")
    p.add_argument("--datum", help="datum svaret gäller (standard: i dag)")
    p.add_argument("--json", action="store_true", help="skriv svaret som JSON")
    p.add_argument("--efter", action="store_true",
                   help="ta med ändringar efter datumet (en senare paragraf, stöd och åtaganden kända ur källor skrivna efter datumet) som separata, daterade uppgifter")
    p.set_defaults(run=_ask)

    p = sub.add_parser("gaps", help="ansvarsluckor per kommun: oklart, saknat, inaktuellt ansvar")
    _endpoint_option(p)
    p.add_argument("--kommun", help="kommunens namn (standard: alla kommuner)")
    p.add_argument("--datum", help="datum analysen gäller (standard: i dag)")
    p.add_argument("--format", choices=["text", "json", "csv", "html"], default="text")
    p.add_argument("--output", "-o", type=Path, help="fil att skriva till (standard: standard ut)")
    p.set_defaults(run=_gaps)

    _change_commands(sub)

    p = sub.add_parser("serve", help="starta webbsidan och API:t")
    _endpoint_option(p)
    p.add_argument("--host", default="127.0.0.1", help="adress att lyssna på (standard 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--store", type=Path, help="ett förberett lager på disk (se prepare; eller ANSVARSGRAF_STORE)")
    p.add_argument("--workers", type=int, default=1,
                   help="antal API-processer; fler än en delar ett lager på disk (standard 1)")
    p.set_defaults(run=_serve)

    p = sub.add_parser("prepare", help="kontrollera data och bygg ett lager på disk för serve --store")
    p.add_argument("store", type=Path, help="mappen för lagret (ersätts först när det nya är klart)")
    p.add_argument("paths", nargs="*", type=Path, help="filer eller mappar (standard: all data)")
    p.add_argument("--svar-datum", action="append", default=None, metavar="ÅÅÅÅ-MM-DD",
                   help="bygg alla svar för datumet i förväg (kan upprepas; standard i dag)")
    p.add_argument("--utan-svar", action="store_true", help="bygg inga svar i förväg")
    p.set_defaults(run=_prepare)

    p = sub.add_parser("query", help="kör en namngiven SPARQL-fråga ur queries/")
    _endpoint_option(p)
    p.add_argument("name", nargs="?", help="frågans namn; utan namn listas frågorna")
    p.add_argument("--format", choices=["csv", "tsv", "json", "xml"], default="tsv")
    p.set_defaults(run=_query)

    p = sub.add_parser("load", help="publicera data i en SPARQL-server, en namngiven graf per källfil")
    p.add_argument("paths", nargs="*", type=Path, help="filer eller mappar (standard: all data)")
    p.add_argument("--endpoint", required=True, help="serverns SPARQL-adress för frågor")
    p.add_argument("--update-endpoint", help="serverns adress för SPARQL Update")
    p.add_argument("--graph-store", help="serverns adress för SPARQL Graph Store Protocol (ersätter --update-endpoint)")
    p.add_argument("--user", help="användare för uppdateringar (om servern kräver det)")
    p.add_argument("--password", help="lösenord för uppdateringar")
    p.add_argument("--digest", action="store_true", help="HTTP digest-autentisering (Virtuosos /sparql-auth)")
    p.add_argument("--bryt-las", action="store_true",
                   help="ta över publiceringslåset från en publicering som avbrutits (annars när dess lånetid gått ut)")
    p.add_argument("--pa-plats", action="store_true",
                   help="ersätt varje fils graf på plats i stället för att publicera en ny version (för Virtuoso 7.2, "
                        "som svarar fel på frågor mot en angiven graf); API-processerna bygger då inga nya svar medan "
                        "graferna byts (503, cachade svar som vanligt)")
    p.set_defaults(run=_load)

    p = sub.add_parser("export", help="skriv ut hela grafen")
    p.add_argument("--format", choices=["ttl", "jsonld", "trig"], default="ttl")
    p.add_argument("--output", "-o", type=Path, help="fil att skriva till (standard: standard ut)")
    p.set_defaults(run=_export)
    return parser


def _change_commands(sub) -> None:
    """andringar, paverkan, diff and raci (issue 19); their work is in changes.py and friends."""
    p = sub.add_parser("andringar", help="vilka svar som skiljer sig mellan två datum, och varför")
    _endpoint_option(p)
    p.add_argument("--fran", required=True, help="första datumet, ÅÅÅÅ-MM-DD")
    p.add_argument("--till", required=True, help="andra datumet, ÅÅÅÅ-MM-DD")
    p.add_argument("--kommun", help="kommunens namn (standard: alla kommuner)")
    p.add_argument("--format", choices=["text", "json", "csv", "html"], default="text")
    p.add_argument("--output", "-o", type=Path, help="fil att skriva till (standard: standard ut)")
    p.set_defaults(run=_changes)

    p = sub.add_parser("paverkan", help="vilka dokument, kommuner och svar en bestämmelse påverkar")
    _endpoint_option(p)
    p.add_argument("lagrum", help="bestämmelsen: sfs:2001:453#K2P7 eller ”SoL (2001:453) 2 kap. 7 §”")
    p.add_argument("--datum", help="datum analysen gäller (standard: i dag)")
    p.add_argument("--json", action="store_true", help="skriv resultatet som JSON")
    p.set_defaults(run=_impact)

    p = sub.add_parser("raci", help="ansvarsmatris (RACI): uppgifter × aktörer för en kommun eller ett dokument")
    _endpoint_option(p)
    p.add_argument("--kommun", required=True, help="kommunens namn")
    p.add_argument("--dokument", help="bara detta dokuments åtaganden (dokumentets id, som i dess /id/-adress)")
    p.add_argument("--datum", help="datum matrisen gäller (standard: i dag)")
    p.add_argument("--format", choices=["csv", "xlsx", "html"], default="csv")
    p.add_argument("--output", "-o", type=Path, help="fil att skriva till (krävs för xlsx om standard ut är en terminal)")
    p.set_defaults(run=_raci)

    p = sub.add_parser("diff", help="vad en ändring i data/ ändrar: åtaganden, parter, forum, datum, svar och luckor")
    p.add_argument("--mot", default="HEAD", help="git-revision eller mapp att jämföra med (standard: HEAD)")
    p.add_argument("--data", type=Path, help="datamappen som jämförs (standard: arbetskopians data/)")
    p.add_argument("--kommun", help="bara svar och luckor i denna kommun")
    p.add_argument("--datum", help="datum svaren och luckorna gäller (standard: i dag)")
    p.add_argument("--json", action="store_true", help="skriv resultatet som JSON")
    p.set_defaults(run=_diff)


def _show(args, result, render_text) -> int:
    """A result as JSON (--json) or as text for people."""
    if args.json:
        json.dump(result.as_dict(), sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        print(render_text(result))
    return 0


def _write(args, text: str) -> None:
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


def _changes(args) -> int:
    from .catalog import catalog_for
    from .changes import change_report, render_csv, render_text
    from .configured_store import open_store

    store = open_store(args.endpoint)
    kommuner = [catalog_for(store).municipality(args.kommun).iri] if args.kommun else None
    report = change_report(store, parse_date(args.fran), parse_date(args.till), kommuner)
    if args.format == "json":
        text = json.dumps(report.as_dict(), ensure_ascii=False, indent=2) + "\n"
    elif args.format == "csv":
        text = render_csv(report)
    elif args.format == "html":
        from .web.changes import render_standalone

        text = render_standalone("changes_report.html", report=report)
    else:
        text = render_text(report) + "\n"
    _write(args, text)
    return 0


def _impact(args) -> int:
    from .impact import UnknownProvisionError, impact, provision_iri, render_text
    from .configured_store import open_store

    try:
        result = impact(open_store(args.endpoint), provision_iri(args.lagrum), parse_date(args.datum))
    except UnknownProvisionError as exc:
        raise UserInputError(str(exc)) from None
    return _show(args, result, render_text)


def _raci(args) -> int:
    from .catalog import catalog_for
    from .ids import ID_BASE
    from .raci import UnknownDocumentError, matrix, render_csv, render_xlsx
    from .configured_store import open_store

    store = open_store(args.endpoint)
    kommun = catalog_for(store).municipality(args.kommun)
    document = None if not args.dokument else args.dokument if args.dokument.startswith("http") else ID_BASE + args.dokument
    try:
        result = matrix(store, kommun.iri, parse_date(args.datum), document)
    except UnknownDocumentError as exc:
        raise UserInputError(str(exc)) from None
    if args.format == "xlsx":
        data = render_xlsx(result)
        if args.output:
            args.output.write_bytes(data)
        elif sys.stdout.isatty():
            raise UserInputError("ange --output FIL.xlsx: ett kalkylark skrivs inte till terminalen")
        else:
            sys.stdout.buffer.write(data)
        return 0
    if args.format == "html":
        from .web.changes import render_standalone

        _write(args, render_standalone("raci_report.html", matrix=result))
    else:
        _write(args, render_csv(result))
    return 0


def _diff(args) -> int:
    from .data_diff import DiffSourceError, diff, render_text

    try:
        result = diff(args.mot, parse_date(args.datum), args.data or DATA_DIR, args.kommun)
    except DiffSourceError as exc:
        raise UserInputError(str(exc)) from None
    return _show(args, result, render_text)


def _endpoint_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--endpoint", help="läs grafen från en SPARQL-server i stället för den inbyggda (eller ANSVARSGRAF_ENDPOINT)")


def _load(args) -> int:
    from .publish import Publisher, PublishRefused
    from .remote_store import RemoteStoreError, SparqlEndpointStore

    # Everything is parsed and checked before anything is sent: a broken file stops the
    # load with its file and line, data with SHACL violations is refused as by `serve` and
    # `prepare` (serve --endpoint answers from what is published here), and the server keeps
    # the previous version of every graph.
    loaded = valid_data(args.paths or None, "inget har publicerats")
    if not (args.update_endpoint or args.graph_store):
        raise UserInputError("ange --update-endpoint eller --graph-store: dit publiceras graferna")
    store = SparqlEndpointStore(args.endpoint, args.update_endpoint, user=args.user, password=args.password,
                                digest=args.digest, graph_store_url=args.graph_store)
    publisher = Publisher(store, break_lock=args.bryt_las, in_place=args.pa_plats)
    try:
        version, parts = publisher.publish(loaded)
    except PublishRefused as exc:
        print(f"Fel: {exc}", file=sys.stderr)
        return 3
    except (RemoteStoreError, StoreUnavailable) as exc:
        print(f"Fel: {exc}", file=sys.stderr)
        if publisher.readers_held:  # until a publish goes through (publish.py)
            print("API-processerna bygger inga nya svar (503) förrän en publicering har gått igenom; kör load igen.", file=sys.stderr)
        else:
            print("Förra versionen gäller fortfarande; kör load igen.", file=sys.stderr)
        return 1
    print(f"dataversion {version}: {len(parts)} grafer; API-processerna läser den nya versionen inom {store.version_check_s:g} s.")
    return 0


def _validate(args) -> int:
    from .validation import run_validation

    on_date = parse_date(args.datum)
    paths = [p for p in args.paths]
    outside = [p for p in paths if not _inside(p, DATA_DIR)]
    loaded = load_data(paths=outside or None, base_paths=[DATA_DIR] if outside else None)
    only = None
    if paths:
        from .dataset import data_files

        only = {display_path(f) for f in data_files(paths)}
    run = run_validation(loaded, on_date, only_files=only, focused=only is not None and not args.helt, engine=args.motor)
    findings = run.findings
    if not args.varningar:
        findings = [f for f in findings if f.severity == "FEL"]
    violations = [f for f in findings if f.severity == "FEL"]
    if args.json:
        json.dump({"datum": on_date.isoformat(), "motor": run.engine, "fel": len(violations),
                   "resultat": [f.as_dict() for f in findings]}, sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        for finding in findings:
            print(finding)
        files = len(only) if only is not None else len(loaded.files)
        warnings = sum(f.severity == "VARNING" for f in findings)
        notes = sum(f.severity == "INFO" for f in findings)
        print(f"{files} filer kontrollerade per {on_date}: {len(violations)} fel, {warnings} varningar, "
              f"{notes} upplysningar ({run.engine}).")
    return 1 if violations else 0


def _inside(path: Path, folder: Path) -> bool:
    try:
        Path(path).resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


def _ask(args) -> int:
    from .answering import answer_question
    from .cli_text import render_text
    from .configured_store import open_store

    store = open_store(args.endpoint)
    result = answer_question(store, args.question, args.kommun, parse_date(args.datum), after=args.efter)
    if args.json:
        json.dump(result.as_dict(), sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        print(render_text(result))
    return 0 if result.duties else 1


def _gaps(args) -> int:
    from .catalog import catalog_for
    from .gaps import analyse, render_csv, render_html, render_text
    from .configured_store import open_store

    store = open_store(args.endpoint)
    catalog = catalog_for(store)
    on_date = parse_date(args.datum)
    if args.kommun:
        municipalities = [catalog.municipality(args.kommun)]
    else:
        municipalities = sorted({m.iri: m for m in catalog.municipalities.values()}.values(), key=lambda m: m.label)
    reports = [analyse(store, m.iri, on_date) for m in municipalities]
    if args.format == "json":
        text = json.dumps([r.as_dict() for r in reports], ensure_ascii=False, indent=2) + "\n"
    elif args.format == "csv":
        text = render_csv(reports)
    elif args.format == "html":
        text = render_html(reports)
    else:
        text = "\n\n".join(render_text(r) for r in reports) + "\n"
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def _serve(args) -> int:
    import os
    import shutil
    import tempfile

    import uvicorn

    from .catalog import catalog_for
    from .embedded_store import OxigraphStore
    from .prepared import open_prepared_store, prepare_store
    from .configured_store import ENDPOINT_ENV, PREPARED_STORE_ENV, open_store
    from .web.app import LOG_CONFIG, create_app, keep_out_of_garbage_collection, warm_up_or_retry

    if args.workers < 1:
        raise UserInputError("--workers ska vara minst 1")
    options = dict(host=args.host, port=args.port, access_log=False, log_config=LOG_CONFIG)
    # The bundled files are validated before they are served; a prepared store was validated
    # by `prepare`, and a SPARQL server holds what `load` published.
    from_files = not (args.endpoint or os.environ.get(ENDPOINT_ENV) or args.store or os.environ.get(PREPARED_STORE_ENV))
    refused = "servern startas inte"
    if args.workers == 1:
        if from_files:
            store = OxigraphStore.from_loaded(valid_data(None, refused))
        else:
            store = open_store(args.endpoint, prepared=args.store)
        warm_up_or_retry(lambda: keep_out_of_garbage_collection(catalog_for(store)))  # before the first request
        uvicorn.run(create_app(store), **options)
        return 0
    # Several processes: each opens the same store. Without a server or a prepared store,
    # the data is checked and prepared on disk once, here, for this run only.
    temporary = None
    if args.endpoint:
        os.environ[ENDPOINT_ENV] = args.endpoint
    else:
        if args.store is None:
            valid_data(None, refused)
            temporary = Path(tempfile.mkdtemp(prefix="ansvarsgraf-lager-"))
            args.store = temporary / "lager"
            prepare_store(args.store)
        else:
            open_prepared_store(args.store)  # say what is wrong now, not once per worker
        # The link, not the version it points to now: the workers follow a new `prepare`.
        os.environ[PREPARED_STORE_ENV] = os.path.abspath(args.store)
    try:
        uvicorn.run("ansvarsgraf.web.app:app_from_environment", factory=True, workers=args.workers, **options)
    finally:
        if temporary:
            shutil.rmtree(temporary, ignore_errors=True)
    return 0


def _prepare(args) -> int:
    from .prepared import prepare_store

    dates = [] if args.utan_svar else sorted({parse_date(d) for d in args.svar_datum or [None]})
    valid_data(args.paths or None, "lagret byggs inte och det förra lämnas orört")
    store = prepare_store(args.store, args.paths or None, answer_dates=dates)
    prepared = f" och {_count_answers(store)} svar för {', '.join(d.isoformat() for d in dates)}" if dates else ""
    print(f"Lagret {args.store} är klart: {len(store)} tripler{prepared}. Starta med `ansvarsgraf serve --store {args.store}`.")
    return 0


def _count_answers(store) -> int:
    return store.precomputed.count() if store.precomputed else 0


def _query(args) -> int:
    from .queries import all_queries
    from .sparql_endpoint import SparqlRefused, run_query
    from .configured_store import open_store

    queries = all_queries()
    if not args.name:
        for q in queries.values():
            if not q.needs_bindings:
                print(f"{q.name}: {q.description}")
        return 0
    if args.name not in queries:
        raise UserInputError(f"ingen namngiven fråga '{args.name}'; kör 'ansvarsgraf query' för en lista")
    if queries[args.name].needs_bindings:
        raise UserInputError(f"frågan '{args.name}' används av svarsmotorn och kräver parametrar")
    try:
        result = run_query(open_store(args.endpoint), queries[args.name].text, args.format)
    except SparqlRefused as exc:
        raise UserInputError(exc.message) from None
    sys.stdout.write(result.body.decode("utf-8"))
    return 0


def _export(args) -> int:
    loaded = load_data()
    if args.format == "trig":
        text = loaded.dataset().serialize(format="trig")
    elif args.format == "jsonld":
        text = loaded.merged(with_ontology=True).serialize(format="json-ld", auto_compact=True)
    else:
        text = loaded.merged(with_ontology=True).serialize(format="turtle")
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
