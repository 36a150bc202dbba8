"""Static files under a URL that carries their content hash, so browsers may keep them for a
year: a changed file gets a new URL. The hashes are computed once, when the app starts;
templates link {{ static('app.js') }}. The plain URL still works but must be revalidated."""

import hashlib
from pathlib import Path

from fastapi.staticfiles import StaticFiles

# The hash is written with the letters a–p instead of hex digits: a URL holding a run of
# digits could look like an identity number to the screen every request passes.
LETTERS = str.maketrans("0123456789abcdef", "abcdefghijklmnop")
FOREVER = "public, max-age=31536000, immutable"


class FingerprintedStaticFiles(StaticFiles):
    def __init__(self, directory: Path, prefix: str = "/static/"):
        super().__init__(directory=directory)
        self.prefix = prefix
        self.fingerprinted: dict[str, str] = {}  # app.js -> app.<hash>.js
        self.original: dict[str, str] = {}
        for file in sorted(p for p in Path(directory).rglob("*") if p.is_file()):
            name = file.relative_to(directory).as_posix()
            digest = hashlib.sha256(file.read_bytes()).hexdigest()[:16].translate(LETTERS)
            stem, dot, suffix = name.rpartition(".")
            versioned = f"{stem}.{digest}.{suffix}" if dot else f"{name}.{digest}"
            self.fingerprinted[name], self.original[versioned] = versioned, name

    def url(self, name: str) -> str:
        return self.prefix + self.fingerprinted[name]

    async def get_response(self, path: str, scope):
        original = self.original.get(path)
        response = await super().get_response(original or path, scope)
        response.headers["cache-control"] = FOREVER if original else "no-cache"
        return response
