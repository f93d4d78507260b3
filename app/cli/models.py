"""`tandem models ...` and `tandem config ...`."""

from __future__ import annotations

import argparse

from app.progress import terminal_progress
from router import ModelManager, load_settings, resolve_paths


def _manager() -> ModelManager:
    paths = resolve_paths().ensure()
    return ModelManager(paths.models_dir, load_settings(paths).local.model)


def run_models(args: argparse.Namespace) -> int:
    """Run a `tandem models` action and return the exit code."""
    manager = _manager()
    if args.models_command == "list":
        print(f"models folder: {manager.models_dir}")
        for entry in manager.list_models():
            mark = "*" if entry.active else " "
            state = "ready" if entry.ready else "missing"
            size = f"{entry.size_bytes / 1e6:.0f} MB" if entry.size_bytes else "-"
            note = f"  ({entry.note})" if entry.note else ""
            print(f"{mark} {entry.name:<32} {entry.source:<10} {size:>8}  {state}{note}")
        print("* active model; change it with [local] model in `tandem config path`")
        return 0
    if args.models_command == "pull":
        path = manager.pull(args.repo, args.file)
        print(f"downloaded to {path}\nuse it with: tandem chat --model {path.stem}")
        return 0
    path = manager.resolve(args.spec, progress=terminal_progress("assembling bundled model"))
    print(path)
    return 0


def run_config(action: str) -> int:
    """Run a `tandem config` action and return the exit code."""
    paths = resolve_paths()
    if action == "path":
        exists = "" if paths.config_file.exists() else "  (not created yet: defaults in use)"
        print(f"config: {paths.config_file}{exists}\ndata:   {paths.data_dir}")
        return 0
    print(load_settings(paths).model_dump_json(indent=2))
    return 0


def run_config_command(args: argparse.Namespace) -> int:
    """Run `tandem config ACTION` from its parsed arguments."""
    return run_config(args.config_command)
