"""Re-pack a ``delta.npz`` (tuned layers, bin tensor names) into a C-engine ``.bin``.

    python benchmarks/experiments/e5_finetune/pack.py /work/h30/ml-artifacts/ft1/delta.npz out.bin

The untouched tensors (and the tokenizer) are copied byte for byte; quant_q4 of an
unchanged dequantised matrix reproduces the shipped bytes exactly (checked on l6.q.w,
l8.fo.w, l11.fi.w), so only the tuned layers differ.
"""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import e5torch as E  # noqa: E402

if __name__ == "__main__":
    delta, out = sys.argv[1], sys.argv[2]
    state = dict(np.load(delta))
    E.write_bin(E.read_bin(), state, out)
    size = sum(v.nbytes for v in state.values())
    print(f"{out}: {len(state)} tensors replaced ({size / 1e6:.2f} MB as float32)")
