"""Deterministic generator of a national-scale ansvarsgraf: 290 municipalities, 21 regions.

The shape follows the bundled data: each municipality has boards, administrations, units
and posts that fill the statutory roles; each region has a regional agreement with all its
municipalities and its own units; each municipality has local routines with duties on its
units and posts; forums, audit reports, findings and recommendations. A share is
deliberately incomplete or stale (no revision interval, last revised years ago, citing a
repealed SoL 2001:453 section, forums without convenor, recommendations without response),
so validation and gap analysis have real work to do.

Every shown value (bearer, party, task, part, modality, deadline, legal basis, participant,
convenor, addressee, stance: ag:shownWithSupport in the ontology) carries its own support
as an ag:Statement node, in the form the loader makes from a `stöd:` block
(docs/provenans.md): the section of the region's generated audit report and a quote. The
quotes are generated text, marked "Genererad text", about generated nodes; they stand in no
file under kallor/, so the quote check leaves them unchecked instead of matching them
against a real source. Without this the generated graph fails validation and the benchmark
would measure invalid data.

The output is N-Triples written as .ttl files (N-Triples is valid Turtle), one per region,
to be loaded beside the bundled law, vocabularies and ontology. Same size and seed, same
bytes: the benchmark is repeatable.

    python benchmarks/generate.py --size small --out /tmp/national
"""

import argparse
import random
import re
from pathlib import Path

ID = "https://w3id.org/ansvarsgraf/id/"
AG = "https://w3id.org/ansvarsgraf/def#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
ORG = "http://www.w3.org/ns/org#"
PROV = "http://www.w3.org/ns/prov#"
DCT = "http://purl.org/dc/terms/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDF_TYPE = RDF + "type"
XSD = "http://www.w3.org/2001/XMLSchema#"

# Routines per municipality, duties per routine and municipalities, by size. "mini" (one
# municipality per region) is only for the suite's smoke run: the figures come from the others.
SIZES = {"mini": (1, 4, 21), "small": (3, 8, 290), "medium": (20, 19, 290), "large": (100, 19, 290)}
REGIONS = 21

# Ids that exist in the bundled data (tasks, roles, provisions) — the generator only
# points at them; it never redefines them.
TASKS = ["anmala-oro", "ta-emot-anmalan", "forhandsbedomning", "utredning", "erbjuda-mote-efter-anmalan",
         "aterkoppla-till-anmalare", "samverkan-barn-som-far-illa", "ta-initiativ-till-samverkan", "konsultation",
         "dela-information", "kalla-till-sip", "upprata-sip", "overgripande-ansvar-sip", "folja-upp-sip",
         "placering", "placerat-barns-skolgang", "folja-upp-placering", "hantera-avvikelse",
         "revidera-overenskommelse", "folja-upp-samverkan", "utbilda-personal", "informera-om-verksamheten"]
PARTS = ["ansvarar", "utfor", "sammankallar", "deltar", "informeras", "samverkar", "tar_emot", "foljer_upp"]
MODALITIES = ["ska", "ska", "ska", "bor", "far"]
CURRENT = ["https://lagen.nu/2025:400#K10P8", "https://lagen.nu/2025:400#K18P6", "https://lagen.nu/2025:400#K19P6",
           "https://lagen.nu/2010:800#K29P13", "https://lagen.nu/2017:30#K16P4"]
REPEALED = ["https://lagen.nu/2001:453#K2P7", "https://lagen.nu/2001:453#K5P1a", "https://lagen.nu/2001:453#K14P1"]
BOARDS = [("socialnamnden", "Socialnämnden", "roll-socialnamnden"),
          ("barn-och-utbildningsnamnden", "Barn- och utbildningsnämnden", "roll-huvudman-skola"),
          ("kommunstyrelsen", "Kommunstyrelsen", "roll-kommunstyrelsen"),
          ("kommunfullmaktige", "Kommunfullmäktige", None)]
UNITS = [("socialnamnden", "ifo", "Individ- och familjeomsorgen"), ("socialnamnden", "mottagning", "Mottagningsenheten"),
         ("socialnamnden", "utredning", "Utredningsenheten"), ("barn-och-utbildningsnamnden", "elevhalsan", "Elevhälsan"),
         ("barn-och-utbildningsnamnden", "grundskolan", "Grundskolan"), ("barn-och-utbildningsnamnden", "forskolan", "Förskolan")]
POSTS = [("ifo", "enhetschef", "Enhetschef IFO"), ("mottagning", "socialsekreterare", "Socialsekreterare"),
         ("utredning", "utredare", "Utredare"), ("elevhalsan", "kurator", "Kurator"),
         ("elevhalsan", "skolskoterska", "Skolsköterska"), ("grundskolan", "rektor", "Rektor"),
         ("forskolan", "forskolechef", "Förskolechef"), ("ifo", "sip-samordnare", "SIP-samordnare")]
# The words a generated quote uses for a modality and a part, so that the quote says what the
# statement says (a `ska` quote has its obligation word, as the shapes expect of a source).
MODALITY_WORDS = {"ska": "ska", "bor": "bör", "far": "får"}
PART_WORDS = {"ansvarar": "ansvara för", "utfor": "utföra", "sammankallar": "kalla till", "deltar": "delta i",
              "informeras": "informeras om", "samverkar": "samverka kring", "tar_emot": "ta emot",
              "foljer_upp": "följa upp"}
STANCE_WORDS = {"accepterar": "accepterar", "accepterar_delvis": "accepterar delvis", "avvisar": "avvisar"}


class Writer:
    def __init__(self, path: Path):
        self.file = path.open("w", encoding="utf-8")
        self.count = 0

    def iri(self, s: str, p: str, o: str) -> None:
        self.file.write(f"<{s}> <{p}> <{o}> .\n")
        self.count += 1

    def text(self, s: str, p: str, value: str, lang: str = "sv") -> None:
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        self.file.write(f'<{s}> <{p}> "{escaped}"@{lang} .\n')
        self.count += 1

    def typed(self, s: str, p: str, value: str, datatype: str) -> None:
        self.file.write(f'<{s}> <{p}> "{value}"^^<{XSD}{datatype}> .\n')
        self.count += 1

    def stated(self, s: str, p: str, o: str, section: str, quote: str, literal: str | None = None) -> None:
        """The triple s p o and its support: an ag:Statement with the section and the quote,
        linked from s by ag:statement, as the loader writes a `stöd:` field. With literal
        (an xsd datatype), o is a value of that type instead of an IRI."""
        if literal:
            self.typed(s, p, o, literal)
        else:
            self.iri(s, p, o)
        st = f"{s}--{_slug(p)}--{_slug(o)}"  # stable, like the loader's ids for `stöd:`
        self.iri(st, RDF_TYPE, AG + "Statement")
        self.iri(st, RDF + "subject", s)
        self.iri(st, RDF + "predicate", p)
        if literal:
            self.typed(st, RDF + "object", o, literal)
        else:
            self.iri(st, RDF + "object", o)
        self.iri(st, AG + "supportKind", AG + "source")
        self.iri(st, PROV + "wasDerivedFrom", section)
        self.text(st, AG + "quote", f"Genererad text: {quote}")
        self.iri(s, AG + "statement", st)

    def node(self, s: str, kind: str, label: str, source: str) -> None:
        self.iri(s, RDF_TYPE, AG + kind)
        self.text(s, SKOS + "prefLabel", label)
        self.iri(s, PROV + "wasDerivedFrom", source)

    def close(self) -> None:
        self.file.close()


def _slug(value: str) -> str:
    """The last part of an IRI (or a literal) as an id part: a statement's IRI names its field and value."""
    local = value.removeprefix(AG).rsplit("/", 1)[-1]
    return re.sub(r"[^a-z0-9]+", "-", local.lower()).strip("-")


def _duty(w: Writer, duty: str, established_by: str, document: str, bearer: tuple[str, str], task: str, part: str, modality: str,
          description: str, section: str, deadline: str | None = None) -> None:
    """A duty whose five shown values are supported by one generated quote, as one quote
    supports several fields of a duty in the bundled data (a YAML anchor)."""
    quote = (f"Enligt {document} {MODALITY_WORDS[modality]} {bearer[1]} {PART_WORDS[part]} uppgiften {task}"
             + (f" inom {deadline}" if deadline else "") + ".")
    w.iri(duty, RDF_TYPE, AG + "Duty")
    w.iri(duty, AG + "establishedBy", established_by)
    w.stated(duty, AG + "bearer", bearer[0], section, quote)
    w.stated(duty, AG + "task", ID + task, section, quote)
    w.stated(duty, AG + "part", AG + part, section, quote)
    w.stated(duty, AG + "modality", AG + modality, section, quote)
    w.text(duty, DCT + "description", description)
    w.iri(duty, PROV + "wasDerivedFrom", section)
    if deadline:
        w.stated(duty, AG + "deadlineDuration", deadline, section, quote, literal="duration")


def generate(size: str, out: Path, seed: int = 2026) -> int:
    routines, duties_per_routine, municipalities_in_all = SIZES[size]
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.ttl"):
        old.unlink()
    total = 0
    per_region = [municipalities_in_all // REGIONS + (1 if r < municipalities_in_all % REGIONS else 0)
                  for r in range(REGIONS)]
    number = 0
    for r in range(REGIONS):
        w = Writer(out / f"region-{r + 1:02d}.ttl")
        region = f"{ID}gen-region-{r + 1:02d}"
        source_doc = f"{ID}gen-kalla-region-{r + 1:02d}"
        section = f"{source_doc}-s1"
        w.node(source_doc, "AuditReport", f"Genererad granskning, region {r + 1}", "https://lagen.nu/2017:725#K6P6")
        w.typed(source_doc, DCT + "date", f"{2018 + r % 6}-0{1 + r % 9}-15", "date")
        w.iri(section, RDF_TYPE, AG + "SourceSection")
        w.iri(section, DCT + "isPartOf", source_doc)
        w.typed(section, AG + "sectionNumber", "1", "string")
        w.text(section, SKOS + "prefLabel", "Avsnitt 1")
        w.node(region, "Region", f"Region {r + 1} (genererad)", section)
        w.iri(region, AG + "fulfils", ID + "roll-regionen")
        bup = f"{region}-bup"
        w.node(bup, "Unit", f"BUP i region {r + 1}", section)
        w.iri(bup, ORG + "subOrganizationOf", region)
        municipalities = []
        for _ in range(per_region[r]):
            number += 1
            municipalities.append(_municipality(w, rng, number, region, section, routines, duties_per_routine))
        _regional_agreement(w, rng, r, region, bup, municipalities, section)
        w.close()
        total += w.count
    return total


def _municipality(w: Writer, rng: random.Random, n: int, region: str, section: str, routines: int, duties: int) -> str:
    kommun = f"{ID}gen-kommun-{n:03d}"
    w.node(kommun, "Municipality", f"Genkommun {n:03d}", section)
    w.iri(kommun, AG + "region", region)
    w.iri(kommun, AG + "fulfils", ID + "roll-kommunen")
    actors = {}
    for key, label, role in BOARDS:
        board = f"{kommun}-{key}"
        w.node(board, "Board", f"{label} i Genkommun {n:03d}", section)
        w.iri(board, ORG + "subOrganizationOf", kommun)
        if role:
            w.iri(board, AG + "fulfils", ID + role)
        actors[key] = board
    for parent, key, label in UNITS:
        unit = f"{kommun}-{key}"
        w.node(unit, "Unit", f"{label}, Genkommun {n:03d}", section)
        w.iri(unit, ORG + "subOrganizationOf", actors[parent])
        actors[key] = unit
    posts = []
    for parent, key, label in POSTS:
        post = f"{kommun}-{key}"
        w.node(post, "Post", f"{label}, Genkommun {n:03d}", section)
        w.iri(post, ORG + "postIn", actors[parent])
        posts.append((post, label.lower()))
    bearers = posts + [(actors[k], label.lower()) for _, k, label in UNITS]
    for i in range(routines):
        routine = f"{kommun}-rutin-{i + 1:02d}"
        name = f"rutin {i + 1} i Genkommun {n:03d}"
        w.node(routine, "Routine", f"Rutin {i + 1} i Genkommun {n:03d}", section)
        w.stated(routine, AG + "party", kommun, section, f"Genkommun {n:03d} har antagit {name}.")
        year = rng.choice([2014, 2017, 2020, 2023, 2025, 2026])
        w.typed(routine, DCT + "modified", f"{year}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}", "date")
        if rng.random() < 0.8:  # a fifth state no revision interval at all
            w.typed(routine, AG + "revisionInterval", rng.choice(["P1Y", "P2Y"]), "duration")
        basis = rng.choice(REPEALED if rng.random() < 0.3 else CURRENT)
        w.stated(routine, AG + "legalBasis", basis, section, f"Rutin {i + 1} hänvisar till {basis}.")
        if rng.random() < 0.5:
            w.text(routine, AG + "deviationProcedure", "Avvikelser lämnas till närmaste chef och lyfts i ledningsgruppen.")
            w.iri(routine, AG + "escalatesTo", actors["socialnamnden"])
        forum = f"{routine}-forum"
        w.node(forum, "Forum", f"Samverkansforum {i + 1}, Genkommun {n:03d}", section)
        w.iri(forum, AG + "establishedBy", routine)
        participant = rng.choice(bearers)
        w.stated(forum, AG + "hasParticipant", participant[0], section, f"I samverkansforum {i + 1} deltar {participant[1]}.")
        if rng.random() < 0.7:
            convenor = rng.choice(posts)
            w.stated(forum, AG + "convenor", convenor[0], section, f"Samverkansforum {i + 1} sammankallas av {convenor[1]}.")
            w.text(forum, AG + "meetingFrequency", "varje månad")
        for d in range(duties):
            # Drawn in the order the generator always drew them, so the graph stays the same.
            bearer, task, part, modality = rng.choice(bearers), rng.choice(TASKS), rng.choice(PARTS), rng.choice(MODALITIES)
            deadline = rng.choice(["P7D", "P14D", "P21D"]) if rng.random() < 0.2 else None
            _duty(w, f"{routine}-d{d + 1:02d}", routine, name, bearer, task, part, modality,
                  f"Genererat åtagande {d + 1} i rutin {i + 1}.", section, deadline)
    rec = f"{kommun}-rek-1"
    w.iri(rec, RDF_TYPE, AG + "Recommendation")
    w.stated(rec, AG + "addressedTo", actors["socialnamnden"], section, f"Socialnämnden i Genkommun {n:03d} bör tydliggöra ansvaret för samverkan.")
    w.iri(rec, AG + "foundIn", section.rsplit("-s1", 1)[0])
    w.text(rec, DCT + "description", "Nämnden bör tydliggöra ansvaret för samverkan.")
    w.iri(rec, PROV + "wasDerivedFrom", section)
    if rng.random() < 0.6:
        answer = f"{kommun}-svar-1"
        w.iri(answer, RDF_TYPE, AG + "Response")
        w.iri(answer, AG + "respondsTo", rec)
        w.iri(answer, AG + "respondent", actors["socialnamnden"])
        stance = rng.choice(["accepterar", "accepterar_delvis", "avvisar"])
        w.stated(answer, AG + "stance", AG + stance, section, f"Socialnämnden i Genkommun {n:03d} {STANCE_WORDS[stance]} rekommendationen.")
        w.iri(answer, PROV + "wasDerivedFrom", section)
    if rng.random() < 0.5:
        finding = f"{kommun}-iakttagelse-1"
        w.iri(finding, RDF_TYPE, AG + "Finding")
        w.iri(finding, AG + "findingKind", AG + rng.choice(["oklart_ansvar", "ej_reviderad", "saknas"]))
        w.iri(finding, AG + "concerns", f"{kommun}-rutin-01")
        w.iri(finding, AG + "foundIn", section.rsplit("-s1", 1)[0])
        w.text(finding, DCT + "description", "Ansvaret enligt rutinen är oklart.")
        w.iri(finding, PROV + "wasDerivedFrom", section)
    return kommun


def _regional_agreement(w: Writer, rng: random.Random, r: int, region: str, bup: str, municipalities: list[str], section: str) -> None:
    agreement = f"{region}-overenskommelse"
    w.node(agreement, "Agreement", f"Regional överenskommelse, region {r + 1}", section)
    name = f"den regionala överenskommelsen i region {r + 1}"
    for party, label in [(region, f"region {r + 1}"), *((k, f"Genkommun {k[-3:]}") for k in municipalities)]:
        w.stated(agreement, AG + "party", party, section, f"{label.capitalize()} är part i {name}.")
    w.typed(agreement, DCT + "dateAccepted", f"{2012 + r % 10}-06-01", "date")
    if r % 3:
        w.typed(agreement, AG + "revisionInterval", "P1Y", "duration")
    basis = REPEALED[0] if r % 2 else CURRENT[0]
    w.stated(agreement, AG + "legalBasis", basis, section, f"Överenskommelsen hänvisar till {basis}.")
    for d, (task, part) in enumerate([("kalla-till-sip", "sammankallar"), ("upprata-sip", "ansvarar"),
                                      ("samverkan-barn-som-far-illa", "samverkar"), ("hantera-avvikelse", "tar_emot")]):
        bearer = (bup, f"BUP i region {r + 1}") if d % 2 else (ID + "roll-kommunen", "kommunen")
        _duty(w, f"{agreement}-d{d + 1}", agreement, name, bearer, task, part, "ska",
              f"Regionalt åtagande {d + 1}.", section)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    triples = generate(args.size, args.out, args.seed)
    print(f"{triples} tripler i {args.out} ({args.size})")


if __name__ == "__main__":
    main()
