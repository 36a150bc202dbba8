"""The vocabularies the graph speaks, defined once: every module takes its namespaces here."""

import rdflib

AG = rdflib.Namespace("https://w3id.org/ansvarsgraf/def#")
ORG = rdflib.Namespace("http://www.w3.org/ns/org#")
PROV = rdflib.Namespace("http://www.w3.org/ns/prov#")
ELI = rdflib.Namespace("http://data.europa.eu/eli/ontology#")

KIND_NAMES = {
    AG.Municipality: "kommun", AG.Region: "region", AG.Association: "organisation",
    AG.Board: "nämnd", AG.Administration: "förvaltning", AG.Unit: "enhet", AG.Post: "befattning",
    AG.StatutoryRole: "lagstadgad roll", AG.Forum: "forum", AG.Agreement: "överenskommelse",
    AG.Routine: "rutin", AG.StandingRules: "reglemente", AG.Plan: "plan", AG.Practice: "beskriven praxis",
}
