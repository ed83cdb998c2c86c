"""`rlstudio` command line.

    rlstudio train CONFIG.yaml [--run-dir DIR [--overwrite]] [--set key=value ...]
    rlstudio resume RUN_DIR [--set key=value ...]                    exit 2 while its trainer lives
    rlstudio validate CONFIG.yaml [--json] [--set key=value ...]     exit 2 on problems
    rlstudio schema                                                  JSON Schema of the config
    rlstudio select-subset RUN_DIR --method limr --size N|--threshold T   a training subset (LIMR)
    rlstudio eval RUN_DIR|CONFIG [--checkpoints base,latest] [--set k=v] [...]  pass@k of checkpoints (evals/<id>/)
    rlstudio score RUN_DIR --eval ID --checkpoint A --by B           A's samples teacher-forced under B
    rlstudio demo [...]                                              the embedded default run
    rlstudio export-onnx SOURCE [--out DIR] [--quantize int8]        a checkpoint as an ONNX scoring model
    rlstudio pairs RUN_DIR --out FILE [--steps all] [--reward NAME]   DPO pairs from recorded samples
    rlstudio --version [--json]

Exit codes: 0 completed or stopped, 1 failed, 2 refused (invalid config, run directory in use or not
empty, nothing to resume), 130 interrupted (a second Ctrl-C). Heavy libraries (torch, transformers,
TRL) are imported only after the config is valid.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from importlib import metadata

from rlstudio import FORMAT, __version__


def _versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"rlstudio": __version__}
    for package in ("trl", "transformers", "torch"):
        try:
            out[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            out[package] = None
    out["python"] = platform.python_version()
    out["format"] = FORMAT
    return out


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rlstudio", description="RL post-training on TRL that records every token.")
    parser.add_argument("--version", action="store_true", help="print versions and exit")
    parser.add_argument("--json", action="store_true", help="with --version: print JSON")
    sub = parser.add_subparsers(dest="command")

    train = sub.add_parser("train", help="train from a *.rlstudio.yaml config")
    train.add_argument("config")
    train.add_argument("--run-dir", help="run directory (default .rlstudio/runs/<timestamp>-<name> beside the config)")
    train.add_argument("--overwrite", action="store_true",
                       help="if the run directory is not empty, move its contents aside to <dir>.replaced-<time>")
    train.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                       help="override a config value, e.g. --set algorithm.max_steps=10 (repeatable)")

    resume = sub.add_parser("resume", help="continue a run from its last checkpoint")
    resume.add_argument("run_dir")
    resume.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")

    validate = sub.add_parser("validate", help="check a config; exit 2 listing every problem")
    validate.add_argument("config")
    validate.add_argument("--json", action="store_true", help='print {"ok": bool, "problems": [...]}')
    validate.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")

    export = sub.add_parser("export-onnx", help="export a checkpoint or model to ONNX for scoring without Python")
    export.add_argument("source", help="RUN_DIR/checkpoints/checkpoint-N, RUN_DIR:latest, RUN_DIR:base, "
                                       "a model folder, or embedded:smollm2-135m")
    export.add_argument("--out", help="output folder (default RUN_DIR/onnx/<checkpoint>[-int8], or ./onnx/<name>)")
    export.add_argument("--quantize", choices=["int8"], help="int8 dynamic quantization (lossy: its error is recorded)")

    sub.add_parser("schema", help="print the JSON Schema of the config")

    evaluate = sub.add_parser("eval", help="evaluate checkpoints: samples, rewards, pass@k (exit 2 on bad input)")
    evaluate.add_argument("target", metavar="RUN_DIR|CONFIG")
    evaluate.add_argument("--checkpoints", type=_names, help="comma-separated: base, latest, checkpoint-<step> "
                          "(default base,latest; with --eval-id of an earlier eval: its checkpoints)")
    evaluate.add_argument("--prompts", type=int, help="evaluate the first N prompts (default eval.prompts, 50)")
    evaluate.add_argument("--samples", type=int, help="samples per prompt, n (default eval.samples, 16)")
    evaluate.add_argument("--temperature", type=float, help="sampling temperature (default eval.temperature, 1.0)")
    evaluate.add_argument("--max-new-tokens", type=int, help="default algorithm.max_completion_length")
    evaluate.add_argument("--seed", type=int, help="sampling seed (default eval.seed, 0)")
    evaluate.add_argument("--k", type=_ints, help="pass@k values, e.g. 1,4,16 (default 1,2,4,...,n)")
    evaluate.add_argument("--batch-size", type=int, help="sequences per generate call (default eval.batch_size, 64)")
    evaluate.add_argument("--name", help="eval name (part of the eval id)")
    evaluate.add_argument("--eval-id", help="eval folder name under evals/; an existing one is resumed")
    evaluate.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                          help="change the run's config for this eval, e.g. eval.rewards=[{name: e, ref: f.py:e}]")

    score = sub.add_parser("score", help="teacher-forced log-probs of an eval's samples under another checkpoint")
    score.add_argument("run_dir")
    score.add_argument("--eval", dest="eval_id", required=True, help="eval id (folder under evals/)")
    score.add_argument("--checkpoint", required=True, help="whose samples")
    score.add_argument("--by", required=True, help="the checkpoint that scores them")
    score.add_argument("--temperature", type=float, default=1.0, help="log-probs of softmax(logits / T) (default 1)")
    score.add_argument("--batch-size", type=int, default=8, help="sequences per forward pass (default 8)")

    from rlstudio.limr import add_arguments

    add_arguments(sub.add_parser("select-subset", help="choose training prompts from a recorded run (LIMR, baselines)"))
    sub.add_parser("demo", help="the embedded default run", add_help=False)

    pairs = sub.add_parser("pairs", help="a DPO dataset (JSONL) from a GRPO/RLOO run: best vs worst sample per prompt")
    pairs.add_argument("run_dir")
    pairs.add_argument("--out", required=True, help="the JSONL file to write")
    pairs.add_argument("--steps", default="all", help="all, last, or steps and ranges like 1-5,8 (default all)")
    pairs.add_argument("--reward", help="rank by this reward entry (rewards.<NAME>; default the weighted total)")
    pairs.add_argument("--min-margin", type=float, default=0.0,
                       help="skip prompts whose best - worst is below this (default 0)")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["demo"]:
        from rlstudio.demo import main as demo_main

        return demo_main(argv[1:])
    args = _parser().parse_args(argv)
    if args.version:
        versions = _versions()
        print(json.dumps(versions) if args.json else " ".join(f"{k} {v}" for k, v in versions.items()))
        return 0
    if args.command == "schema":
        from rlstudio.config import json_schema

        print(json.dumps(json_schema(), indent=2))
        return 0
    if args.command == "validate":
        return _validate(args.config, args.overrides, args.json)
    if args.command == "select-subset":
        from rlstudio.limr import main as select_main

        return select_main(args)
    if args.command == "train":
        return _train(args.config, args.run_dir, args.overrides, args.overwrite)
    if args.command == "eval":
        from rlstudio.evals.runner import run_eval

        overrides = {"prompts": args.prompts, "samples": args.samples, "temperature": args.temperature,
                     "max_new_tokens": args.max_new_tokens, "seed": args.seed, "k": args.k,
                     "batch_size": args.batch_size}
        return run_eval(args.target, args.checkpoints, overrides, args.name, args.eval_id, args.overrides)
    if args.command == "score":
        from rlstudio.evals.score import score_command

        return score_command(args.run_dir, args.eval_id, args.checkpoint, args.by, args.temperature, args.batch_size)
    if args.command == "export-onnx":
        from rlstudio.export.onnx_export import main as export_main
        from rlstudio.train import offline_environment

        offline_environment()
        return export_main(args)
    if args.command == "pairs":
        from rlstudio.pairs import main as pairs_main

        return pairs_main(args.run_dir, args.steps, args.reward, args.out, args.min_margin)
    if args.command == "resume":
        from rlstudio.config import ConfigError
        from rlstudio.train import resume

        try:
            return resume(args.run_dir, args.overrides)
        except (FileNotFoundError, ValueError, ConfigError) as exc:  # a bad --set too: run.json is left as it was
            print(f"rlstudio resume: {exc}", file=sys.stderr)
            return 2
    _parser().print_help()
    return 2


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def _ints(text: str) -> list[int]:
    try:
        return [int(x) for x in _names(text)]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None


def _validate(path: str, overrides: list[str], as_json: bool) -> int:
    from rlstudio.config import ConfigError, load_config

    try:
        load_config(path, overrides)
    except ConfigError as exc:
        if as_json:
            print(json.dumps({"ok": False, "problems": [vars(p) for p in exc.problems]}))
        else:
            print(exc, file=sys.stderr)
        return 2
    print(json.dumps({"ok": True, "problems": []}) if as_json else f"{path}: ok")
    return 0


def _train(path: str, run_dir: str | None, overrides: list[str], overwrite: bool) -> int:
    from pathlib import Path

    from rlstudio.config import ConfigError, load_config
    from rlstudio.rundir import RunDirError, prepare_new_run_dir

    try:
        config = load_config(path, overrides)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    from rlstudio.train import default_run_dir, run

    target = Path(run_dir).resolve() if run_dir else default_run_dir(config)
    try:
        aside = prepare_new_run_dir(target, overwrite)
    except (RunDirError, OSError) as exc:
        print(f"rlstudio train: {exc}", file=sys.stderr)
        return 2
    if aside is not None:
        print(f"rlstudio: moved the previous contents of {target} to {aside}", file=sys.stderr)
    return run(config, target)


if __name__ == "__main__":
    sys.exit(main())
