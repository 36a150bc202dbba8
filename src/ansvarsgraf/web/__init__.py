"""The web app: JSON API, SPARQL endpoint, linked-data URIs and the Swedish staff page."""
