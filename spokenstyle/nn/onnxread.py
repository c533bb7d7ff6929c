"""Read the tensors and the node list of an ONNX file, without the ``onnx`` package.

An ONNX model is one Protocol Buffers message. Converting a pretrained network's weights
needs only two parts of it: the graph's initializers (named tensors) and its nodes (op type,
input and output names, integer attributes such as ``DequantizeLinear``'s ``axis``). This module
decodes exactly those from the wire format (varints and length-delimited fields), so the
weights can be converted on any install; the tests check it against ``onnx.numpy_helper``.
Nothing here runs a graph, and unknown fields are skipped, never evaluated.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np

from ..errors import WeightsError

#: ONNX TensorProto.DataType codes this reader decodes, and their numpy dtypes.
DTYPES = {1: np.float32, 2: np.uint8, 3: np.int8, 5: np.int16, 6: np.int32, 7: np.int64, 11: np.float64}


@dataclass
class Node:
    """One graph node: its op type, input and output names, and its integer attributes."""

    op_type: str
    inputs: list[str]
    outputs: list[str]
    ints: dict[str, int] = field(default_factory=dict)


@dataclass
class Graph:
    """The initializers (name -> array) and the nodes, in file order."""

    initializers: dict[str, np.ndarray]
    nodes: list[Node]


def _varint(buf: memoryview, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise ValueError("truncated varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint longer than 64 bits")


def _fields(buf: memoryview) -> Iterator[tuple[int, int, object]]:
    """(field number, wire type, value) of each field: an int for varints and fixed widths,
    a memoryview for length-delimited fields."""
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 1:
            value, pos = int.from_bytes(buf[pos : pos + 8], "little"), pos + 8
        elif wire == 2:
            size, pos = _varint(buf, pos)
            if pos + size > len(buf):
                raise ValueError("truncated length-delimited field")
            value, pos = buf[pos : pos + size], pos + size
        elif wire == 5:
            value, pos = int.from_bytes(buf[pos : pos + 4], "little"), pos + 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
        yield number, wire, value


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _packed_varints(value: object, wire: int) -> list[int]:
    if wire == 0:
        return [_signed(int(value))]  # type: ignore[arg-type]
    out, pos, buf = [], 0, value  # type: ignore[assignment]
    while pos < len(buf):  # type: ignore[arg-type]
        v, pos = _varint(buf, pos)  # type: ignore[arg-type]
        out.append(_signed(v))
    return out


def _tensor(buf: memoryview) -> tuple[str, np.ndarray]:
    dims: list[int] = []
    dtype_code = 0
    name = ""
    raw: bytes | None = None
    ints: list[int] = []
    floats: list[float] = []
    for number, wire, value in _fields(buf):
        if number == 1:
            dims += _packed_varints(value, wire)
        elif number == 2:
            dtype_code = int(value)  # type: ignore[arg-type]
        elif number == 4:  # float_data
            floats += list(struct.unpack(f"<{len(value) // 4}f", value)) if wire == 2 else [struct.unpack("<f", int(value).to_bytes(4, "little"))[0]]  # type: ignore[arg-type]
        elif number in (5, 7):  # int32_data (also int8/uint8/int16), int64_data
            ints += _packed_varints(value, wire)
        elif number == 8:
            name = bytes(value).decode("utf-8")  # type: ignore[arg-type]
        elif number == 9:
            raw = bytes(value)  # type: ignore[arg-type]
        elif number == 14 and int(value) != 0:  # type: ignore[arg-type]
            raise ValueError(f"tensor {name!r} keeps its data in an external file, which is not read")
    if dtype_code not in DTYPES:
        raise ValueError(f"tensor {name!r} has ONNX data type {dtype_code}, which this reader does not decode")
    dtype = np.dtype(DTYPES[dtype_code]).newbyteorder("<")
    count = int(np.prod(dims)) if dims else 1
    if raw is not None:
        array = np.frombuffer(raw, dtype=dtype)
    elif dtype_code == 1:
        array = np.asarray(floats, dtype=np.float32)
    else:
        array = np.asarray(ints, dtype=np.int64).astype(dtype)
    if array.size != count:
        raise ValueError(f"tensor {name!r} holds {array.size} values for shape {dims}")
    return name, array.astype(dtype.newbyteorder("="), copy=True).reshape(dims)


def _node(buf: memoryview) -> Node:
    op, inputs, outputs, ints = "", [], [], {}
    for number, _wire, value in _fields(buf):
        if number == 1:
            inputs.append(bytes(value).decode("utf-8"))  # type: ignore[arg-type]
        elif number == 2:
            outputs.append(bytes(value).decode("utf-8"))  # type: ignore[arg-type]
        elif number == 4:
            op = bytes(value).decode("utf-8")  # type: ignore[arg-type]
        elif number == 5:  # AttributeProto: name = 1, i = 3
            attr_name, attr_int = "", None
            for n2, _w2, v2 in _fields(value):  # type: ignore[arg-type]
                if n2 == 1:
                    attr_name = bytes(v2).decode("utf-8")  # type: ignore[arg-type]
                elif n2 == 3:
                    attr_int = _signed(int(v2))  # type: ignore[arg-type]
            if attr_int is not None:
                ints[attr_name] = attr_int
    return Node(op, inputs, outputs, ints)


def read(data: bytes, what: str = "ONNX file") -> Graph:
    """The initializers and nodes of a serialised ONNX ModelProto (``data``); a
    :class:`~spokenstyle.errors.WeightsError` naming ``what`` when it is not one."""
    try:
        graph = next((v for n, w, v in _fields(memoryview(data)) if n == 7 and w == 2), None)
        if graph is None:
            raise ValueError("no graph")
        initializers: dict[str, np.ndarray] = {}
        nodes: list[Node] = []
        for number, wire, value in _fields(graph):  # type: ignore[arg-type]
            if number == 5 and wire == 2:
                name, array = _tensor(value)  # type: ignore[arg-type]
                initializers[name] = array
            elif number == 1 and wire == 2:
                nodes.append(_node(value))  # type: ignore[arg-type]
    except (ValueError, UnicodeDecodeError, struct.error) as exc:
        raise WeightsError(f"{what} is not a readable ONNX model: {exc}") from None
    return Graph(initializers, nodes)
