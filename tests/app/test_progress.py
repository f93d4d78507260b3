import io

from app.progress import terminal_progress


def test_logs_get_one_line_per_ten_percent() -> None:
    out = io.StringIO()
    update = terminal_progress("copying", out)
    total = 200_000_000
    for done in range(0, total + 1, total // 200):
        update(done, total)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 11
    assert lines[0].startswith("copying [") and "  0% 0/200 MB" in lines[0]
    assert lines[-1].endswith("100% 200/200 MB")
    assert "\r" not in out.getvalue()
