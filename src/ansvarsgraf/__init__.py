"""Ansvarsgraf: a knowledge graph answering who is responsible for what, with legal basis."""

__version__ = "0.1.0"
