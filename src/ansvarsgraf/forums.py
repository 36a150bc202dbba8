"""Forums that handle a task (ag:addresses, `behandlar:`) in a municipality on a date, and
how an answer shows them. A forum is a meeting place and carries no duty: an answer lists it
beside the duties ("Forum som behandlar frågan"), never as a bearer.

Which forums apply follows the duties' rules (queries/forum-for-uppgifter.rq says them as
data, read once with the catalog): a forum established by a document is there while the
document applies in the municipality (the same organisation index the duties use); one with
no document belongs to the municipality through its convenor, chair or participants, and
failing those through the source that describes it (said as a data warning). Its own dates
bound it, and without a start of its own it exists from an audit's observation, not before.
"""

from .dates import valid_between
from .describe import Node
from .duties import DutyBuilder
from .ids import local_id
from .results import ForumAnswer, Ref
from .vocabulary import AG

# What a forum shows, whose support is shown with it: what it handles, who convenes, chairs
# and takes part, the document, how often, its purpose, its dates and when it was observed.
SHOWN = {str(p) for p in (AG.addresses, AG.convenor, AG.chair, AG.hasParticipant, AG.establishedBy, AG.meetingFrequency,
                          AG.purpose, AG.observedOn, AG.observedOnMonth, AG.observedOnYear,
                          AG.validFrom, AG.validFromMonth, AG.validFromYear, AG.validUntil, AG.validUntilMonth,
                          AG.validUntilYear)}
ONLY_BY_SOURCE = ("Källan anger inget dokument, ingen sammankallande, ordförande eller deltagare för forumet; "
                  "det visas här för att källan som beskriver det gäller kommunen.")


def applicable_forums(builder: DutyBuilder, tasks: list[str]) -> dict[str, tuple[list[str], bool]]:
    """The forums that handle any of these tasks and apply in the builder's municipality on
    its date: forum → (the tasks among these it handles, whether it belongs here only
    through its source). From the catalog: no query."""
    index, kommun, on_date = builder.catalog.organisations, builder.kommun.iri, builder.on_date
    rows: dict[str, list[dict]] = {}
    for task in tasks:
        for row in builder.catalog.forums.by_task.get(task, ()):
            rows.setdefault(str(row["forum"]), []).append(row)
    found = {}
    for forum, its in rows.items():
        first = lambda name: next((r[name] for r in its if r[name] is not None), None)  # noqa: E731
        # Its own period; without a start of its own, from when an audit observed it.
        if not valid_between(first("fran") or first("observerad"), first("till"), on_date):
            continue
        documents = {str(r["dokument"]) for r in its if r["dokument"] is not None}
        actors = {str(r["aktor"]) for r in its if r["aktor"] is not None}
        reports = {str(r["kalldel"]) for r in its if r["kalldel"] is not None}
        by_source = False
        if documents:
            if not any(index.applies(d, kommun, on_date) for d in documents):
                continue  # its document is not in force here on the date
        elif actors:
            if not any(index.concerns(a, kommun) for a in actors):
                continue  # convened, chaired or attended by another municipality's organisations
        elif any(index.concerns(r, kommun) for r in reports):
            by_source = True
        else:
            continue  # nothing ties it to this municipality
        found[forum] = (sorted({str(r["task"]) for r in its}), by_source)
    return found


def task_forums(builder: DutyBuilder, tasks: list[str]) -> list[ForumAnswer]:
    """The forums that handle these tasks here on the date, each with who convenes, chairs
    and takes part (as far as the source names them) and each value's support."""
    chosen = applicable_forums(builder, tasks)
    if not chosen:
        return []
    _from_catalog(builder, sorted(chosen))
    forums = builder.describe(*sorted(chosen))
    answers = []
    for node in forums:
        handled, by_source = chosen[node.iri]
        refs = lambda prop: [Ref(str(v), node.labels.get(str(v), local_id(v))) for v in node.all(prop)]  # noqa: E731
        task_refs = [Ref(t, builder.catalog.task_labels.get(t, local_id(t)), "uppgift") for t in handled]
        observed = builder.observed(node, None)
        names = " och ".join(f"”{t.label}”" for t in task_refs)
        answers.append(ForumAnswer(
            iri=node.iri, label=node.label(),
            text=f"{node.label()} behandlar {names}. Forumet bär inget ansvar: det är en mötesplats, och vem som "
                 f"ansvarar säger åtagandena.",
            tasks=task_refs, instrument=node.ref(AG.establishedBy),
            convenors=refs(AG.convenor), chairs=refs(AG.chair), participants=refs(AG.hasParticipant),
            purpose=node.text(AG.purpose), meeting_frequency=node.text(AG.meetingFrequency), observed=observed,
            **builder.support_fields(
                s for s in builder.support(node.iri) if s.property in SHOWN
                and (s.property != str(AG.addresses) or s.object in handled)),
            warnings=(builder.observation_warnings(observed) if observed else []) + builder.finding_warnings([node.iri]),
            data_warning=ONLY_BY_SOURCE if by_source else None))
    return sorted(answers, key=lambda f: (f.label, f.iri))


def _from_catalog(builder: DutyBuilder, forums: list[str]) -> None:
    """What the catalog read about these forums, put where the builder looks first (the
    store's shared caches), so that describing them asks the store nothing."""
    rows, described = builder.catalog.forums, builder.catalog.described
    nodes, support, findings = (described.current(kind) for kind in ("nodes", "support", "findings"))
    for forum in forums:
        support.setdefault(forum, rows.support.get(forum, []))
        findings.setdefault(forum, rows.findings.get(forum, []))
        for node in (forum, *(str(r["iakttagelse"]) for r in rows.findings.get(forum, ()))):
            if node not in nodes:
                nodes[node] = Node(node, rows.nodes.get(node, []))
