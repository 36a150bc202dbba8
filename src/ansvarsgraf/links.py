"""Where a node's page is on the web: one rule for the pages, the printed reports and the
analyses that link to them."""

from .ids import ID_BASE
from .vocabulary import AG

LAW_BASE = "https://lagen.nu/"


def href(iri: str) -> str:
    """Where a node's page is: our ids under /id/, provisions under /lagrum/."""
    iri = str(iri)
    if iri.startswith(ID_BASE):
        return "/id/" + iri[len(ID_BASE):]
    if iri.startswith(LAW_BASE):
        return "/lagrum/" + iri[len(LAW_BASE):].replace("#", "/")
    if iri.startswith(AG):
        return "/def#" + iri[len(AG):]
    return iri
