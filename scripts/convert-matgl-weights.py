#!/usr/bin/env python3
"""Converts a matgl pretrained model directory to the safetensors files under shared/reference/.

    convert-matgl-weights.py convert MODEL_DIR OUT.safetensors [--name NAME]
        MODEL_DIR is what matgl's IOMixIn.save() writes (model.json, state.pt, model.pt), e.g. matgl v2.0.4's
        pretrained_models/MEGNet-MP-2019.4.1-BandGap-mfi/. Every tensor of state.pt is written under its matgl
        name, in state-dict order, floating tensors as little-endian float32 (what CrystalActors reads); the
        model's JSON, the SHA-256 of the three input files and what a port needs (init args, normaliser,
        element list, ...) go to __metadata__. Needs torch (only to unpickle state.pt).
    convert-matgl-weights.py check FILE.safetensors [...]
        Re-derives each file's __metadata__ from its own model JSON and tensors, writes the file again with this
        script's writer and reads it back: tensors byte for byte and metadata must come back equal. Needs no torch
        (the test suite runs it on shared/reference/{megnet,m3gnet}/*.safetensors).

Only the standard library is used apart from torch; the safetensors layout is written by hand: an 8-byte
little-endian header length, a JSON header ({"__metadata__": {str: str}, name: {dtype, shape, data_offsets}}),
padded with spaces to a multiple of 8 bytes, then the tensors' bytes back to back.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import struct
import sys
import tempfile

FORMAT = "safetensors (hand-written); little-endian row-major; Linear weights [out,in]"
SOURCE_REPO = "materialsvirtuallab/matgl @ e9cde2291acd0b4c4a342428e7dd5e4d596b7bf9 (v2.0.4), BSD-3-Clause"
ARCHITECTURE_DOC = "../matgl-ARCHITECTURE.md"

# matgl.config.DEFAULT_ELEMENTS (v2.0.4): the element list of a MEGNet whose element_types init arg is null.
DEFAULT_ELEMENTS = (
    "H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As Se Br Kr Rb Sr Y Zr "
    "Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm Eu Gd Tb Dy Ho Er Tm Yb Lu Hf Ta W Re Os Ir "
    "Pt Au Hg Tl Pb Bi Ac Th Pa U Np Pu"
).split()

# The state index of matgl's multi-fidelity band-gap MEGNet.
MFI_FIDELITIES = {"0": "PBE", "1": "GLLB-SC", "2": "HSE", "3": "SCAN"}

# safetensors dtype names and their struct codes (all little-endian).
DTYPES = {"F64": "d", "F32": "f", "F16": "e", "I64": "q", "I32": "i", "I16": "h", "I8": "b", "U8": "B", "BOOL": "?"}


class Tensor:
    """One tensor as stored: safetensors dtype name, shape, and its raw little-endian row-major bytes."""

    def __init__(self, dtype: str, shape: list[int], data: bytes):
        if dtype not in DTYPES:
            raise ValueError(f"dtype {dtype} is not one of {', '.join(DTYPES)}")
        count = 1
        for n in shape:
            count *= n
        if count * struct.calcsize("<" + DTYPES[dtype]) != len(data):
            raise ValueError(f"{len(data)} bytes do not hold a {dtype} tensor of shape {shape}")
        self.dtype, self.shape, self.data = dtype, list(shape), data

    @property
    def count(self) -> int:
        return len(self.data) // struct.calcsize("<" + DTYPES[self.dtype])

    def values(self) -> tuple:
        return struct.unpack(f"<{self.count}{DTYPES[self.dtype]}", self.data)


def read_safetensors(path: str) -> tuple[dict[str, Tensor], dict[str, str]]:
    """The tensors (in file order) and the __metadata__ of a safetensors file."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + n])
    metadata = header.pop("__metadata__", {})
    body = blob[8 + n :]
    tensors = {}
    for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        start, end = info["data_offsets"]
        tensors[name] = Tensor(info["dtype"], info["shape"], body[start:end])
    return tensors, metadata


def write_safetensors(path: str, tensors: dict[str, Tensor], metadata: dict[str, str]) -> None:
    """Writes the tensors back to back in the given order, the header padded with spaces to 8 bytes, never over a file."""
    header: dict[str, object] = {"__metadata__": metadata}
    offset = 0
    for name, t in tensors.items():
        header[name] = {"dtype": t.dtype, "shape": t.shape, "data_offsets": [offset, offset + len(t.data)]}
        offset += len(t.data)
    encoded = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    encoded += b" " * (-(8 + len(encoded)) % 8)
    with open(path, "xb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for t in tensors.values():
            f.write(t.data)


def _scalar(tensors: dict[str, Tensor], name: str) -> str:
    (value,) = tensors[name].values()
    return repr(float(value))


def assemble_metadata(name: str, model: dict, tensors: dict[str, Tensor], digests: dict[str, str]) -> dict[str, str]:
    """The __metadata__ of a converted model: `model` is model.json parsed, `digests` the SHA-256 of model.json,
    state.pt and model.pt (keys model_json_sha256, state_pt_sha256, model_pt_sha256)."""
    kwargs = model["kwargs"]
    inner = kwargs["model"]
    init_args = inner["init_args"]
    m = {
        "format": FORMAT,
        "source_repo": SOURCE_REPO,
        "architecture_doc": ARCHITECTURE_DOC,
        "model_name": name,
        "model_json": json.dumps(model),
        "model_json_sha256": digests["model_json_sha256"],
        "state_pt_sha256": digests["state_pt_sha256"],
        "model_pt_sha256": digests["model_pt_sha256"],
        "n_tensors": str(len(tensors)),
        "n_values": str(sum(t.count for t in tensors.values())),
    }
    if inner["@class"] == "MEGNet":
        normalizer = re.fullmatch(r"Normalizer: Mean=(\S+), Std: (\S+)", kwargs["target_transformer"])
        if normalizer is None:
            raise ValueError(f"{name}: target_transformer '{kwargs['target_transformer']}' is not a Normalizer")
        elements = init_args.get("element_types")
        m["megnet_init_args"] = json.dumps(init_args)
        m["normalizer_mean"], m["normalizer_std"] = normalizer.groups()
        m["element_types"] = json.dumps(elements or DEFAULT_ELEMENTS)
        if name.endswith("BandGap-mfi"):
            m["fidelity_state_index"] = json.dumps(MFI_FIDELITIES)
        m["note"] = "gap_eV = model_output * normalizer_std + normalizer_mean; element_types = " + (
            "init arg" if elements else "matgl DEFAULT_ELEMENTS (init arg null)")
    elif inner["@class"] == "M3GNet":
        m["m3gnet_init_args"] = json.dumps(init_args)
        m["potential_args"] = json.dumps({k: v for k, v in kwargs.items() if k != "model"})
        m["data_mean"] = _scalar(tensors, "data_mean")
        m["data_std"] = _scalar(tensors, "data_std")
        m["note"] = ("E_total = data_std * sum_atoms(readout) + data_mean + sum_atoms element_refs.property_offset[type]; "
                     "element order = m3gnet_init_args.element_types (type index = position); "
                     "element_refs.onehot is an identity buffer (unused by a port)")
    else:
        raise ValueError(f"{name}: model class {inner['@class']} is neither MEGNet nor M3GNet")
    return m


def _sha256(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def load_state(path: str) -> dict[str, Tensor]:
    """state.pt's tensors in state-dict order; floating ones as float32. This is the only part that needs torch."""
    try:
        import torch
    except ImportError:
        sys.exit("convert-matgl-weights.py: reading state.pt needs PyTorch (pip install torch); "
                 "the `check` command and everything else run without it")
    state = torch.load(path, map_location="cpu", weights_only=True)
    names = {torch.float32: "F32", torch.float64: "F32", torch.float16: "F32", torch.int64: "I64", torch.int32: "I32",
             torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8", torch.bool: "BOOL"}
    tensors = {}
    for name, t in state.items():
        if t.dtype not in names:
            raise ValueError(f"{path}: tensor {name} has dtype {t.dtype}, which this converter does not write")
        t = t.detach().cpu().contiguous()
        if t.is_floating_point():
            t = t.to(torch.float32)
        # The bytes as they lie in memory (without numpy, which torch does not require): little-endian on every host torch runs on.
        tensors[name] = Tensor(names[t.dtype], list(t.shape), bytes(t.reshape(-1).view(torch.uint8).tolist()))
    return tensors


def convert(model_dir: str, out: str, name: str | None) -> None:
    files = {f: os.path.join(model_dir, f) for f in ("model.json", "state.pt", "model.pt")}
    missing = [f for f, p in files.items() if not os.path.isfile(p)]
    if missing:
        sys.exit(f"convert-matgl-weights.py: {model_dir} lacks {', '.join(missing)} (a matgl model directory has model.json, state.pt and model.pt)")
    with open(files["model.json"], encoding="utf-8") as f:
        model = json.load(f)
    tensors = load_state(files["state.pt"])
    digests = {"model_json_sha256": _sha256(files["model.json"]), "state_pt_sha256": _sha256(files["state.pt"]),
               "model_pt_sha256": _sha256(files["model.pt"])}
    name = name or os.path.basename(os.path.normpath(model_dir))
    write_safetensors(out, tensors, assemble_metadata(name, model, tensors, digests))
    print(f"{out}: {len(tensors)} tensors, {sum(t.count for t in tensors.values())} values")


def check(path: str) -> tuple[int, list[str]]:
    """The file's tensor count, and what differs when its metadata is re-derived and it is rewritten and read back."""
    tensors, metadata = read_safetensors(path)
    problems = []
    digests = {k: metadata.get(k, "") for k in ("model_json_sha256", "state_pt_sha256", "model_pt_sha256")}
    derived = assemble_metadata(metadata.get("model_name", ""), json.loads(metadata["model_json"]), tensors, digests)
    if list(derived.items()) != list(metadata.items()):
        keys = [k for k in dict.fromkeys([*metadata, *derived]) if metadata.get(k) != derived.get(k)]
        problems.append(f"re-derived metadata differs in {', '.join(keys) or 'key order'}")
    with tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, "copy.safetensors")
        write_safetensors(copy, tensors, derived)
        back, back_metadata = read_safetensors(copy)
    if back_metadata != derived:
        problems.append("metadata changed through the writer")
    if list(back) != list(tensors):
        problems.append("tensor names or order changed through the writer")
    for name, t in tensors.items():
        b = back.get(name)
        if b is None or (b.dtype, b.shape, b.data) != (t.dtype, t.shape, t.data):
            problems.append(f"tensor {name} changed through the writer")
    return len(tensors), problems


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("convert", help="matgl model directory -> safetensors (needs torch)")
    c.add_argument("model_dir")
    c.add_argument("out")
    c.add_argument("--name", help="model_name in the metadata (default: the directory's name)")
    k = sub.add_parser("check", help="re-derive the metadata and round-trip existing files (no torch)")
    k.add_argument("files", nargs="+")
    args = parser.parse_args(argv)
    if args.command == "convert":
        convert(args.model_dir, args.out, args.name)
        return 0
    failed = 0
    for path in args.files:
        count, problems = check(path)
        print(f"{'ok' if not problems else 'FAILED'} {path}: {count} tensors" + "".join(f"\n  {p}" for p in problems))
        failed += bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
