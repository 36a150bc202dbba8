"""A store that counts the SPARQL queries sent through it (how many an answer takes)."""


class CountingStore:
    def __init__(self, store):
        self.store, self.queries = store, 0
        self.precomputed, self.inline_tables = store.precomputed, store.inline_tables

    def select(self, query, bindings=None):
        self.queries += 1
        return self.store.select(query, bindings)

    def ask(self, query, bindings=None):
        self.queries += 1
        return self.store.ask(query, bindings)

    def construct(self, query, bindings=None):
        self.queries += 1
        return self.store.construct(query, bindings)
