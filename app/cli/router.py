"""`tandem router`: profile endpoints, train and evaluate routers, simulate budgeted routing.

tandem router profile --prompts P.jsonl --endpoints local,cloud [--judge exact|ENDPOINT] --out F
tandem router profile --from-ledger --out F     # your rated answers (/good, /bad) as a profile
tandem router profile-device --out F.jsonl [--model bundled|X.gguf] [--datasets D] [--limit N]
tandem router fit-cascade --profile F.jsonl --out assets/routing_cascade.json [--seed 0]
tandem router fit-quality --profile F.jsonl[.gz] --out assets/routing_learned.json [--seed 0]
tandem router convert gsm8k|mmlu|mt_bench|m4a1 --out F.jsonl [--data-dir DIR]
tandem router train --data F.jsonl --strong EP --weak EP --out A.npz [--kind knn|mf|mlp|logistic]
    [--target gap|weak_failure]
tandem router eval --router A.npz --data F.jsonl [--json] [--plot P.png]
tandem router sim --data M4A1.json --policy NAME|A.npz --latency-budget S --cost-budget USD [--json]
tandem router report [--data-dir DIR] [--out DIR] [--write-assets] [--ask-local MODEL]

The profile format is described in router/learn/profile.py. Training and
evaluation embed prompts with the offline MiniLM model; embeddings are cached
in the user cache folder (or --cache DIR), so a second run is fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from router import TandemError

DEFAULT_DATA_DIR = Path("../shared/data")
POLICY_NAMES = ("local", "cloud", "cloud_text", "random", "greedy", "prompt", "default", "budget")
"""`default`: the trained planner on M4A1's own actions; `budget`: the chat's `budget` policy."""


def add_router_parser(subparsers: Any) -> None:
    """Add the `router` command and its actions to the `tandem` subparsers."""
    router = subparsers.add_parser("router", help="train and evaluate routers; simulate budgets")
    sub = router.add_subparsers(dest="router_command", metavar="ACTION", required=True)
    _add_data_actions(sub)
    _add_model_actions(sub)
    _add_budget_actions(sub)


def _add_data_actions(sub: Any) -> None:
    """Add `profile` and `convert`: where training data comes from."""
    profile = sub.add_parser("profile", help="run your endpoints on your prompts; write a profile")
    profile.add_argument("--prompts", default=None, help="JSONL: {id?, prompt, reference?}")
    profile.add_argument("--endpoints", default=None, help="comma-separated endpoint names")
    profile.add_argument(
        "--from-ledger",
        action="store_true",
        help="write the answers you rated in the chat instead (nothing is run or sent)",
    )
    profile.add_argument("--judge", default="exact", help="'exact' or an endpoint name")
    profile.add_argument("--out", required=True, help="profile JSONL to write")
    profile.add_argument("--max-tokens", type=int, default=256, help="answer length cap")

    from app.cli.router_device import add_device_profile_parser

    add_device_profile_parser(sub)

    convert = sub.add_parser("convert", help="turn public data into a profile JSONL")
    convert.add_argument("source", choices=("gsm8k", "mmlu", "mt_bench", "m4a1"))
    convert.add_argument("--out", required=True, help="profile JSONL to write")
    convert.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    convert.add_argument(
        "--keep-contaminated", action="store_true", help="keep prompts RouteLLM excludes"
    )


def _add_model_actions(sub: Any) -> None:
    """Add `train` and `eval`: a router from a profile, and its quality."""
    train = sub.add_parser("train", help="train a router on a profile")
    train.add_argument("--data", required=True, help="profile JSONL")
    train.add_argument("--strong", required=True, help="endpoint used when the router says so")
    train.add_argument("--weak", required=True, help="endpoint used otherwise")
    train.add_argument("--out", required=True, help="artifact to write (.npz)")
    train.add_argument("--kind", choices=("knn", "mf", "mlp", "logistic"), default="mlp")
    train.add_argument(
        "--target",
        choices=("gap", "weak_failure"),  # router.learn.targets.TARGETS, kept out of startup
        default="gap",
        help="what the router learns: the recorded strong-weak gap, or where the weak model "
        "fails (docs/learn.md)",
    )
    target = train.add_mutually_exclusive_group()
    target.add_argument("--target-share", type=float, default=None, help="strong-call share")
    target.add_argument("--target-cost", type=float, default=None, help="mean USD per prompt")
    train.add_argument("--cache", type=Path, default=None, help="embedding cache folder")
    train.add_argument("--seed", type=int, default=0)

    from app.cli.router_cascade import add_fit_cascade_parser

    add_fit_cascade_parser(sub)

    from app.cli.router_quality import add_fit_quality_parser

    add_fit_quality_parser(sub)

    ev = sub.add_parser("eval", help="APGR / CPT of a router on a profile")
    ev.add_argument("--router", required=True, help="router artifact (.npz)")
    ev.add_argument("--data", required=True, help="profile JSONL")
    ev.add_argument("--strong", default=None, help="override the artifact's strong endpoint")
    ev.add_argument("--weak", default=None, help="override the artifact's weak endpoint")
    ev.add_argument("--json", action="store_true", help="print one JSON object")
    ev.add_argument("--plot", default=None, help="also write the quality curve as PNG")
    ev.add_argument("--cache", type=Path, default=None, help="embedding cache folder")


def _add_budget_actions(sub: Any) -> None:
    """Add `sim` and `report`: budgeted routing, and the whole goal table."""
    sim = sub.add_parser("sim", help="budgeted multi-turn routing on M4A1")
    sim.add_argument("--data", required=True, help="M4A1.json")
    sim.add_argument("--policy", required=True, help=f"{', '.join(POLICY_NAMES)} or an artifact")
    sim.add_argument("--latency-budget", type=float, default=30.0, help="seconds per conversation")
    sim.add_argument("--cost-budget", type=float, default=0.05, help="USD per conversation")
    sim.add_argument("--json", action="store_true", help="print one JSON object")
    sim.add_argument("--seed", type=int, default=0)
    sim.add_argument("--cache", type=Path, default=None, help="embedding cache folder")
    sim.add_argument(
        "--prompt-decisions", type=Path, default=None, help="cached decisions of the prompt router"
    )

    report = sub.add_parser("report", help="train and evaluate everything; print the goal table")
    report.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    report.add_argument("--out", type=Path, default=Path("benchmarks/out/router"))
    report.add_argument("--cache", type=Path, default=None, help="embedding cache folder")
    report.add_argument(
        "--write-assets", action="store_true", help="also retrain the shipped default artifacts"
    )
    report.add_argument("--only", choices=("single", "sequential"), default=None)
    report.add_argument(
        "--ask-local",
        metavar="MODEL",
        default=None,
        help="first ask this local model (bundled, a name or a .gguf) for the prompt "
        "router's missing M4A1 decisions (about 10 s per question on a busy CPU)",
    )


def run_router(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Run `tandem router ...`; return the exit status."""
    out = out or sys.stdout
    command = args.router_command
    if command == "profile":
        from app.cli.router_profile import run_profile

        return run_profile(args, out)
    if command == "profile-device":
        from app.cli.router_device import run_device_profile

        return run_device_profile(args, out)
    if command == "fit-cascade":
        from app.cli.router_cascade import run_fit_cascade

        return run_fit_cascade(args, out)
    if command == "fit-quality":
        from app.cli.router_quality import run_fit_quality

        return run_fit_quality(args, out)
    if command == "convert":
        return run_convert(args, out)
    if command == "train":
        return run_train(args, out)
    if command == "eval":
        return run_eval(args, out)
    if command == "sim":
        return run_sim(args, out)
    if command == "report":
        return run_report_command(args, out)
    raise ValueError(f"unknown router command {command!r}")


def _embed(texts: list[str], cache: Path | None) -> Any:
    from router.learn.embed_cache import EmbeddingCache

    return EmbeddingCache(cache_dir=cache).embed(texts)


def run_convert(args: argparse.Namespace, out: TextIO) -> int:
    """Write a public data set as a profile."""
    from router.learn.datasets import load_routellm
    from router.learn.m4a1 import load_m4a1, to_profile
    from router.learn.profile import write_profile

    data_dir = Path(args.data_dir)
    if args.source == "m4a1":
        records = to_profile(load_m4a1(data_dir / "m4a1" / "M4A1.json"))
    else:
        records = load_routellm(
            data_dir / "routellm", args.source, drop_contaminated=not args.keep_contaminated
        )
    count = write_profile(records, args.out)
    print(f"wrote {count} records to {args.out}", file=out)
    return 0


def run_train(args: argparse.Namespace, out: TextIO) -> int:
    """Train a router on a profile and save its artifact."""
    from router.learn.profile import load_profile
    from router.learn.train import share_for_cost, train_router
    from router.policy.trained_router import save_router

    records = load_profile(args.data)
    data = _training_set(records, args.strong, args.weak, args.cache)
    share = 0.5 if args.target_share is None else args.target_share
    if args.target_cost is not None:
        share = share_for_cost(data, args.target_cost)
    if not 0.0 <= share <= 1.0:
        raise TandemError(f"--target-share must be in [0, 1], got {share}")
    router = train_router(
        data, args.kind, args.strong, args.weak, target_share=share, seed=args.seed,
        note=f"trained on {Path(args.data).name}", target=args.target,
    )  # fmt: skip
    path = save_router(router, args.out)
    print(
        f"wrote {path} ({args.kind}, {len(data.prompts)} prompts, threshold "
        f"{router.threshold:.4f} for {share:.0%} strong calls)",
        file=out,
    )
    return 0


def _training_set(records: Any, strong: str, weak: str, cache: Path | None) -> Any:
    from router.learn.train import training_set

    usable = [r for r in records if strong in r.endpoints and weak in r.endpoints]
    if not usable:
        raise TandemError(
            f"no record in the profile has both {strong!r} and {weak!r}",
            "check --strong/--weak against the endpoint names in the profile",
        )
    return training_set(usable, strong, weak, _embed([r.prompt for r in usable], cache))


def run_eval(args: argparse.Namespace, out: TextIO) -> int:
    """APGR, CPT(50%), CPT(80%) of an artifact on a profile."""
    from router.learn.evaluation import curves_plot, evaluate_router, router_curve
    from router.learn.profile import load_profile
    from router.policy.trained_router import load_router

    router = load_router(args.router)
    if args.strong:
        router.meta["strong"] = args.strong
    if args.weak:
        router.meta["weak"] = args.weak
    data = _training_set(load_profile(args.data), router.strong, router.weak, args.cache)
    result = evaluate_router(router, data)
    if args.plot:
        curves_plot([(router.kind, router_curve(router, data))], args.plot, Path(args.data).name)
        result["plot"] = args.plot
    if args.json:
        print(json.dumps(result), file=out)
    else:
        rnd = result["random"]
        print(
            f"{result['kind']} router on {result['n']} prompts: APGR {result['apgr']:.3f} "
            f"(random {rnd['apgr']:.3f}), CPT(50%) {result['cpt50']:.1%}, "
            f"CPT(80%) {result['cpt80']:.1%}",
            file=out,
        )
    return 0


def run_sim(args: argparse.Namespace, out: TextIO) -> int:
    """Play every conversation of an M4A1 file under the budgets with one policy."""
    from router.learn.budget_env import evaluate
    from router.learn.m4a1 import Simulator, load_m4a1

    if args.latency_budget <= 0 or args.cost_budget <= 0:
        raise TandemError("budgets must be positive")
    conversations = load_m4a1(args.data)
    questions = [t.question for c in conversations for t in c.turns]
    sim = Simulator(conversations, _embed(questions, args.cache))
    policy = _sim_policy(args, sim)
    result: dict[str, Any] = evaluate(
        sim, range(len(conversations)), policy, args.latency_budget, args.cost_budget, args.seed
    )
    result.update(
        policy=args.policy, latency_budget_s=args.latency_budget, cost_budget_usd=args.cost_budget
    )
    if args.json:
        print(json.dumps(result), file=out)
    else:
        print(
            f"{args.policy}: score {result['score']:.3f}, latency {result['latency_s']:.1f} s, "
            f"cost ${result['cost_usd']:.4f}, over budget {result['over_budget_rate']:.0%} "
            f"of {result['n']} conversations",
            file=out,
        )
    return 0


def _sim_policy(args: argparse.Namespace, sim: Any) -> Any:
    from router.learn import baselines
    from router.learn.budget_env import Predictor
    from router.learn.budget_rl import load_policy

    name = args.policy
    everything = list(range(len(sim.conversations)))
    if name == "local":
        return baselines.constant(0)
    if name == "cloud":
        return baselines.constant(baselines.ALL_VIEWS)
    if name == "cloud_text":
        return baselines.constant(1)
    if name == "random":
        return baselines.random_policy
    if name == "greedy":
        return baselines.greedy(Predictor(sim, everything))
    if name == "prompt":
        from router.learn.report import prompt_cache_file

        file = args.prompt_decisions or prompt_cache_file()
        if not Path(file).exists():
            raise TandemError(
                f"no prompt-router decisions at {file}",
                "run `tandem router report --ask-local bundled` or pass --prompt-decisions",
            )
        decisions = {k: bool(v) for k, v in json.loads(Path(file).read_text("utf-8")).items()}
        costs = Predictor(sim, everything).action_cost
        return baselines.prompt_policy(decisions, list(costs))
    if name == "default":
        return load_policy()
    if name == "budget":
        from router.learn.budget_chat import CachedEmbedder, chat_budget_player
        from router.learn.embed_cache import EmbeddingCache

        embedder = CachedEmbedder(EmbeddingCache(cache_dir=args.cache))
        return chat_budget_player(sim, args.latency_budget, args.cost_budget, embedder)
    if Path(name).suffix == ".npz" or Path(name).exists():
        return load_policy(name)
    raise TandemError(
        f"unknown policy {name!r}", f"use one of {', '.join(POLICY_NAMES)} or an artifact path"
    )


def run_report_command(args: argparse.Namespace, out: TextIO) -> int:
    """Train and evaluate everything on the public data; print the goal table."""
    from router.learn.report_table import format_table, run_report
    from router.policy.trained_router import DEFAULT_ROUTER

    data_dir = Path(args.data_dir)
    if not (data_dir / "routellm").is_dir() or not (data_dir / "m4a1").is_dir():
        raise TandemError(
            f"{data_dir} does not hold routellm/ and m4a1/", "pass --data-dir ../shared/data"
        )
    if args.ask_local:
        _ask_local(args.ask_local, data_dir / "m4a1" / "M4A1.json", out)
    parts = (args.only,) if args.only else ("single", "sequential")
    assets = DEFAULT_ROUTER.parent if args.write_assets else None  # the repository's assets/
    summary = run_report(
        data_dir,
        Path(args.out),
        cache_dir=args.cache,
        assets=assets,
        parts=parts,
        log=lambda line: print(line, file=sys.stderr),
    )
    print(format_table(summary), file=out)
    print(f"summary and plots in {args.out}", file=out)
    return 0


def _ask_local(spec: str, m4a1: Path, out: TextIO) -> None:
    """Fill the prompt router's decision cache by asking a local model about each question."""
    from router import ModelManager, resolve_paths
    from router.endpoints.llama_cpp import LlamaCppEndpoint
    from router.learn.baselines import prompt_decisions
    from router.learn.m4a1 import load_m4a1
    from router.learn.report import prompt_cache_file

    paths = resolve_paths().ensure()
    model = ModelManager(paths.models_dir, spec).resolve()
    questions = [t.question for c in load_m4a1(m4a1) for t in c.turns]
    endpoint = LlamaCppEndpoint(model, n_ctx=1024)
    decisions = prompt_decisions(questions, endpoint, prompt_cache_file())
    print(
        f"prompt router: {len(decisions)} decisions cached in {prompt_cache_file()}, "
        f"{sum(decisions.values())} say cloud",
        file=out,
    )
