"""Write rollout shards into a rollouts folder with the trainer's own writer (rlstudio.rollouts.write_shard),
which also appends their lines to rollouts/prompts.jsonl. Rows as test/unit/runs/make_shard.py makes them.

    .venv/bin/python test/unit/runs/write_shards.py ROLLOUTS_DIR STEP:PROMPTS [STEP:PROMPTS ...] --group 2
"""

import argparse
import sys
from pathlib import Path

from rlstudio.rollouts import write_shard

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "webviews"))
from make_shard import build


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("dir")
    parser.add_argument("shards", nargs="+", help="STEP:PROMPTS (prompts Question 0 … PROMPTS-1)")
    parser.add_argument("--group", type=int, default=2)
    args = parser.parse_args()
    for shard in args.shards:
        step, prompts = (int(n) for n in shard.split(":"))
        rows = build(step, prompts, args.group, 4, None).to_pylist()
        write_shard(Path(args.dir), step, rows, ["accuracy", "format"])


if __name__ == "__main__":
    main()
