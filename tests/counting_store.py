"""A store that counts the SPARQL queries sent through it (how many an answer takes)."""


class CountingStore:
    def __init__(self, store):
        self.store, self.queries = store, 0

    def __getattr__(self, name):
        # What the store offers beyond its queries (its data version, capabilities, a prepared
        # store's answers) is the wrapped store's.
        return getattr(self.store, name)

    def select(self, query, bindings=None):
        self.queries += 1
        return self.store.select(query, bindings)

    def ask(self, query, bindings=None):
        self.queries += 1
        return self.store.ask(query, bindings)

    def construct(self, query, bindings=None):
        self.queries += 1
        return self.store.construct(query, bindings)
