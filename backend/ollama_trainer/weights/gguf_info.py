"""A GGUF file's header, read without loading its weights: every metadata key and each
tensor's name, shape, type and place in the file; and a summary of what the model is.

A small parser of the GGUF v2/v3 layout (ggml's docs/gguf.md) instead of gguf.GGUFReader:
the reader builds a numpy view per token string and holds about 160 MB for the builtin
model's 98k tokenizer strings and merges; this holds a few MB and reads the header in about a
tenth of the time. numpy and gguf's enums only, so the app process may use it.
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

GGUF_MAGIC = b"GGUF"
DEFAULT_ALIGNMENT = 32

# GGUFValueType -> struct format of a scalar (STRING = 8, ARRAY = 9 are handled apart)
_SCALARS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}
_NUMPY = {0: "<u1", 1: "<i1", 2: "<u2", 3: "<i2", 4: "<u4", 5: "<i4", 6: "<f4", 7: "<u1", 10: "<u8", 11: "<i8",
          12: "<f8"}
STRING, ARRAY = 8, 9


class GGUFFileError(Exception):
    """The file is not a GGUF file that can be read; the message says which file and why."""


@dataclass(frozen=True)
class MetaValue:
    type: int  # GGUFValueType
    value: Any
    sub_type: int | None = None  # the element type of an ARRAY


@dataclass(frozen=True)
class TensorInfo:
    name: str
    shape: tuple[int, ...]  # numpy order (rows first); GGUF stores it reversed
    type: int  # GGMLQuantizationType
    offset: int  # absolute offset of the data in the file
    n_elements: int
    n_bytes: int


@dataclass
class GGUFHeader:
    path: Path
    version: int
    fields: dict[str, MetaValue]
    tensors: list[TensorInfo]

    def get(self, key: str, default: Any = None) -> Any:
        item = self.fields.get(key)
        return default if item is None else item.value


@dataclass(frozen=True)
class GGUFInfo:
    path: Path
    kind: str  # general.type: "model" or "adapter" (a file without the key is a model)
    architecture: str
    name: str | None
    file_type: str  # "F16", "Q4_1", "Q4_K_M", ...
    parameters: int
    chat_template: str | None
    head_count: int | None
    head_count_kv: int | None
    context_length: int | None
    has_tokenizer: bool
    hidden: int | None = None  # embedding_length
    layers: int | None = None  # block_count
    vocab: int | None = None  # token_embd rows

    @property
    def parameter_size(self) -> str:
        """'134.52M', '1.24B': the way Ollama labels sizes."""
        return size_label(self.parameters)


def size_label(parameters: int) -> str:
    if parameters >= 1_000_000_000:
        return f"{parameters / 1e9:.2f}B"
    if parameters >= 1_000_000:
        return f"{parameters / 1e6:.2f}M"
    return f"{parameters / 1e3:.2f}K"


def looks_like_gguf(path: str | Path) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(4) == GGUF_MAGIC
    except OSError:
        return False


class _Cursor:
    def __init__(self, buf, path: Path):
        self.buf, self.pos, self.path = buf, 0, path

    def take(self, fmt: str):
        try:
            (value,) = struct.unpack_from("<" + fmt, self.buf, self.pos)
        except struct.error:
            raise GGUFFileError(f"{self.path}: the GGUF header ends early (truncated file?)") from None
        self.pos += struct.calcsize("<" + fmt)
        return value

    def string(self) -> str:
        n = self.take("Q")
        if self.pos + n > len(self.buf):
            raise GGUFFileError(f"{self.path}: the GGUF header ends early (truncated file?)")
        raw = bytes(self.buf[self.pos:self.pos + n])
        self.pos += n
        return raw.decode("utf-8", errors="replace")

    def value(self, vtype: int) -> MetaValue:
        if vtype in _SCALARS:
            return MetaValue(vtype, self.take(_SCALARS[vtype]))
        if vtype == STRING:
            return MetaValue(vtype, self.string())
        if vtype == ARRAY:
            sub, n = self.take("I"), self.take("Q")
            if sub in _NUMPY:
                size = np.dtype(_NUMPY[sub]).itemsize * n
                if self.pos + size > len(self.buf):
                    raise GGUFFileError(f"{self.path}: the GGUF header ends early (truncated file?)")
                items = np.frombuffer(self.buf, dtype=_NUMPY[sub], count=n, offset=self.pos).tolist()
                self.pos += size
                if sub == 7:
                    items = [bool(x) for x in items]
            elif sub == STRING:
                items = [self.string() for _ in range(n)]
            elif sub == ARRAY:
                items = [self.value(ARRAY).value for _ in range(n)]
            else:
                raise GGUFFileError(f"{self.path}: unknown GGUF array type {sub}")
            return MetaValue(vtype, items, sub)
        raise GGUFFileError(f"{self.path}: unknown GGUF value type {vtype}")


def read_header(path: str | Path) -> GGUFHeader:
    """Every key and tensor of a GGUF file; GGUFFileError when it is not one."""
    from gguf.constants import GGML_QUANT_SIZES, GGMLQuantizationType

    path = Path(path)
    if not path.is_file():
        raise GGUFFileError(f"{path}: no such file")
    if not looks_like_gguf(path):
        raise GGUFFileError(f"{path}: not a GGUF file (it does not start with 'GGUF')")
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as buf:
        cur = _Cursor(buf, path)
        cur.take("I")  # magic
        version = cur.take("I")
        if version not in (2, 3):
            raise GGUFFileError(f"{path}: GGUF version {version} is not supported (2 or 3 are)")
        n_tensors, n_kv = cur.take("Q"), cur.take("Q")
        fields: dict[str, MetaValue] = {}
        for _ in range(n_kv):
            key = cur.string()
            fields[key] = cur.value(cur.take("I"))
        raw_tensors = []
        for _ in range(n_tensors):
            name = cur.string()
            dims = [cur.take("Q") for _ in range(cur.take("I"))]
            raw_tensors.append((name, dims, cur.take("I"), cur.take("Q")))
        alignment = fields.get("general.alignment", MetaValue(4, DEFAULT_ALIGNMENT)).value or DEFAULT_ALIGNMENT
        start = cur.pos + (-cur.pos % alignment)
        size = len(buf)
    tensors = []
    for name, dims, qtype, offset in raw_tensors:
        try:
            block, type_size = GGML_QUANT_SIZES[GGMLQuantizationType(qtype)]
        except (ValueError, KeyError):
            raise GGUFFileError(f"{path}: tensor {name} has unknown type {qtype}") from None
        n = int(np.prod(dims)) if dims else 1
        info = TensorInfo(name, tuple(reversed(dims)), qtype, start + offset, n, n * type_size // block)
        if info.offset + info.n_bytes > size:
            raise GGUFFileError(f"{path}: tensor {name} lies past the end of the file (truncated file?)")
        tensors.append(info)
    return GGUFHeader(path, version, fields, tensors)


def file_type_name(header: GGUFHeader) -> str:
    """The quantization label: general.file_type when present, else the 2-D tensors' most
    common type."""
    import gguf

    code = header.get("general.file_type")
    if isinstance(code, int):
        try:
            return gguf.LlamaFileType(code).name.removeprefix("MOSTLY_").removeprefix("ALL_")
        except ValueError:
            pass
    counts: dict[str, int] = {}
    for tensor in header.tensors:
        if len(tensor.shape) >= 2:
            name = gguf.GGMLQuantizationType(tensor.type).name
            counts[name] = counts.get(name, 0) + tensor.n_elements
    return max(counts, key=counts.get) if counts else "unknown"


def summarize(header: GGUFHeader) -> GGUFInfo:
    arch = header.get("general.architecture")
    if not isinstance(arch, str) or not arch:
        raise GGUFFileError(f"{header.path}: the GGUF file names no general.architecture")

    def number(key: str) -> int | None:
        value = header.get(f"{arch}.{key}")
        if isinstance(value, list):  # per-layer values (some architectures): the first
            value = value[0] if value else None
        return int(value) if isinstance(value, (int, float)) else None

    template = header.get("tokenizer.chat_template")
    return GGUFInfo(
        path=header.path,
        kind=str(header.get("general.type", "model")),
        architecture=arch,
        name=header.get("general.name"),
        file_type=file_type_name(header),
        parameters=sum(t.n_elements for t in header.tensors),
        chat_template=template if isinstance(template, str) and template.strip() else None,
        head_count=number("attention.head_count"),
        head_count_kv=number("attention.head_count_kv"),
        context_length=number("context_length"),
        has_tokenizer="tokenizer.ggml.tokens" in header.fields,
        hidden=number("embedding_length"),
        layers=number("block_count"),
        vocab=next((t.shape[0] for t in header.tensors if t.name == "token_embd.weight"), None),
    )


def read_info(path: str | Path) -> GGUFInfo:
    return summarize(read_header(path))


def row_blocks(source, tensor: TensorInfo, max_values: int = 2_000_000):
    """(first row, end row, float32 values) of a tensor, de-quantized a block of rows at a time
    from the open file `source`, so reading a big tensor holds a few MB, never the tensor."""
    import os

    from gguf import GGMLQuantizationType
    from gguf.quants import dequantize

    shape, qtype = tensor.shape, GGMLQuantizationType(tensor.type)
    rows = shape[0] if len(shape) >= 2 else 1
    row_bytes = tensor.n_bytes // rows
    row_values = tensor.n_elements // rows
    step = max(1, max_values // max(1, row_values))
    for start in range(0, rows, step):
        stop = min(rows, start + step)
        raw = os.pread(source.fileno(), (stop - start) * row_bytes, tensor.offset + start * row_bytes)
        if len(raw) != (stop - start) * row_bytes:
            raise GGUFFileError(f"{getattr(source, 'name', 'the file')} ended early while reading {tensor.name}")
        data = np.frombuffer(raw, dtype=np.uint8).reshape(stop - start, row_bytes)
        yield start, stop, dequantize(data, qtype).reshape((stop - start, *shape[1:]) if len(shape) >= 2 else shape)
