"""The graph's own identifiers: the base of every id we mint and the short form people see."""

ID_BASE = "https://w3id.org/ansvarsgraf/id/"


def local_id(iri) -> str:
    """'https://w3id.org/ansvarsgraf/id/x' → 'x'; other IRIs unchanged."""
    text = str(iri)
    return text[len(ID_BASE):] if text.startswith(ID_BASE) else text
