import signal
import subprocess
import sys
from pathlib import Path

from router.ledger.store import Ledger
from router.paths import resolve_paths
from tests.app.cli_support import run_tandem, tandem_env


def test_help_lists_the_subcommands(tmp_path: Path, tiny_gguf: Path) -> None:
    result = run_tandem("--help", env=tandem_env(tmp_path, tiny_gguf))
    assert result.returncode == 0
    for command in ("chat", "models", "config", "--web", "--port"):
        assert command in result.stdout


def test_once_answers_and_reports_the_route(tmp_path: Path, tiny_gguf: Path) -> None:
    env = tandem_env(tmp_path, tiny_gguf, TANDEM_GENERATION__MAX_TOKENS="8")
    result = run_tandem("chat", "--once", "hello", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    assert "on this device (local)" in result.stderr
    assert "out tokens" in result.stderr and "tok/s" in result.stderr
    [session] = Ledger(resolve_paths(tmp_path).ledger_file).sessions()
    assert session.turns == 1


def test_once_reads_the_question_from_stdin(tmp_path: Path, tiny_gguf: Path) -> None:
    env = tandem_env(tmp_path, tiny_gguf, TANDEM_GENERATION__MAX_TOKENS="4")
    result = run_tandem("chat", "--once", "-", env=env, stdin="a question from a pipe\n")
    assert result.returncode == 0, result.stderr
    ledger = Ledger(resolve_paths(tmp_path).ledger_file)
    [turn] = ledger.turns(ledger.sessions()[0].id)
    assert turn.user_text == "a question from a pipe\n"


def test_interactive_chat_keeps_one_conversation(tmp_path: Path, tiny_gguf: Path) -> None:
    env = tandem_env(tmp_path, tiny_gguf, TANDEM_GENERATION__MAX_TOKENS="4")
    result = run_tandem("chat", env=env, stdin="first\n\nsecond\n/quit\n")
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("on this device") == 2
    ledger = Ledger(resolve_paths(tmp_path).ledger_file)
    [session] = ledger.sessions()
    assert [t.user_text for t in ledger.turns(session.id)] == ["first", "second"]
    again = run_tandem("chat", env=env, stdin="third\n")
    assert "continuing a conversation of 2 turn(s)" in again.stdout
    assert [t.user_text for t in ledger.turns(session.id)][-1] == "third"


def test_empty_question_is_a_clear_error(tmp_path: Path, tiny_gguf: Path) -> None:
    result = run_tandem("chat", "--once", "   ", env=tandem_env(tmp_path, tiny_gguf))
    assert result.returncode == 2
    assert "tandem: the message is empty" in result.stderr
    assert "Traceback" not in result.stderr


def test_question_larger_than_the_context_is_a_clear_error(tmp_path: Path, tiny_gguf: Path) -> None:
    env = tandem_env(tmp_path, tiny_gguf, TANDEM_LOCAL__N_CTX="256")
    result = run_tandem("chat", "--once", "word " * 2000, env=env)
    assert result.returncode == 2
    assert "context window" in result.stderr and "n_ctx" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_model_is_a_clear_error(tmp_path: Path) -> None:
    result = run_tandem("chat", "--once", "hi", env=tandem_env(tmp_path, tmp_path / "gone.gguf"))
    assert result.returncode == 2
    assert "no model called" in result.stderr and "tandem models list" in result.stderr
    assert "Traceback" not in result.stderr


def test_truncated_model_is_a_clear_error(tmp_path: Path, tiny_gguf: Path) -> None:
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(tiny_gguf.read_bytes()[:5000])
    result = run_tandem("chat", "--once", "hi", env=tandem_env(tmp_path, cut))
    assert result.returncode == 2
    assert "damaged GGUF" in result.stderr and "Traceback" not in result.stderr


def test_text_file_named_gguf_is_a_clear_error(tmp_path: Path) -> None:
    fake = tmp_path / "fake.gguf"
    fake.write_text("hello, I am text")
    result = run_tandem("chat", "--once", "hi", env=tandem_env(tmp_path, fake))
    assert result.returncode == 2
    assert "not a GGUF model" in result.stderr and "Traceback" not in result.stderr


def test_models_list_marks_the_active_model(tmp_path: Path, tiny_gguf: Path) -> None:
    result = run_tandem("models", "list", env=tandem_env(tmp_path, tiny_gguf))
    assert result.returncode == 0, result.stderr
    active = [line for line in result.stdout.splitlines() if line.startswith("*")]
    assert any(str(tiny_gguf) in line and "ready" in line for line in active)
    assert "bundled" in result.stdout


def test_models_pull_offline_is_a_clear_error(tmp_path: Path, tiny_gguf: Path) -> None:
    result = run_tandem("models", "pull", "org/repo", "m.gguf", env=tandem_env(tmp_path, tiny_gguf))
    assert result.returncode == 2
    assert "could not download m.gguf" in result.stderr and "Traceback" not in result.stderr


def test_bad_config_is_a_clear_error(tmp_path: Path, tiny_gguf: Path) -> None:
    paths = resolve_paths(tmp_path).ensure()
    paths.config_file.write_text("[local]\nn_ctx = 'big'\n")
    result = run_tandem("chat", "--once", "hi", env=tandem_env(tmp_path, tiny_gguf))
    assert result.returncode == 2
    assert "n_ctx" in result.stderr and "Traceback" not in result.stderr


def test_a_refused_question_leaves_no_empty_conversation(tmp_path: Path, tiny_gguf: Path) -> None:
    env = tandem_env(tmp_path, tiny_gguf)
    assert run_tandem("chat", "--once", "", env=env).returncode == 2
    assert run_tandem("chat", env=env, stdin="/new\n/quit\n").returncode == 0
    assert Ledger(resolve_paths(tmp_path).ledger_file).sessions() == []


def test_ctrl_c_stops_the_answer_and_the_chat_goes_on(tmp_path: Path, endless_gguf: Path) -> None:
    env = tandem_env(tmp_path, endless_gguf, TANDEM_GENERATION__MAX_TOKENS="1000000",
                     TANDEM_LOCAL__N_CTX="8192", TANDEM_GENERATION__TEMPERATURE="0")  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "chat", "--new"],
        env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(b"go on forever\n")
    proc.stdin.flush()
    assert proc.stdout.read(15) == b"you> " + b"!" * 10  # streaming has begun
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(b"/quit\n", timeout=60)
    assert proc.returncode == 0
    assert "[stopped]" in err.decode()
    ledger = Ledger(resolve_paths(tmp_path).ledger_file)
    [turn] = ledger.turns(ledger.sessions()[0].id)
    assert turn.status == "cancelled"
    assert turn.answer.startswith("!" * 10)
