"""Ctrl-C at any moment of ``poc2prod``'s start-up: one line on stderr and exit 130, never a traceback."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
import typer.core

from poc2prod.__main__ import main

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

#: The console script's own lines (``from poc2prod.__main__ import main; main()``), with
#: Python's Ctrl-C handler even where the test runner ignores SIGINT.
ENTRY = (
    "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "sys.argv[0] = 'poc2prod'; from poc2prod.__main__ import main; main()"
)

#: A finder that interrupts the import of Typer, as Ctrl-C does while the CLI loads.
INTERRUPTED_IMPORT = (
    "import sys\n"
    "class Interrupt:\n"
    "    def find_spec(self, name, path=None, target=None):\n"
    "        if name == 'typer':\n"
    "            raise KeyboardInterrupt\n"
    "sys.meta_path.insert(0, Interrupt())\n"
    "sys.argv = ['poc2prod', '--help']\n"
    "from poc2prod.__main__ import main\n"
    "main()\n"
)


def test_ctrl_c_while_the_cli_loads_is_one_line_and_130() -> None:
    result = subprocess.run([sys.executable, "-c", INTERRUPTED_IMPORT], capture_output=True, text=True, timeout=60)
    assert result.returncode == 130, result
    assert result.stderr == "error: interrupted\n"
    assert result.stdout == ""


def test_ctrl_c_while_typer_parses_is_one_line_and_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Typer itself turns this Ctrl-C into a silent exit 130."""

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(typer.core.TyperGroup, "make_context", interrupted)
    monkeypatch.setattr(sys, "argv", ["poc2prod", "versions"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 130
    assert capsys.readouterr().err == "error: interrupted\n"


@pytest.mark.parametrize("delay", [0.01, 0.05, 0.1, 0.2, 0.4])
def test_a_real_ctrl_c_at_any_moment_of_start_up(delay: float, tmp_path: Path) -> None:
    """Wherever the signal lands (imports, parsing, the command), the same contract holds."""
    process = subprocess.Popen(
        [sys.executable, "-c", ENTRY, "new", "--defaults", str(tmp_path / "project")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        process.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    if process.returncode == 0:
        pytest.skip("the command finished before the signal")
    frames = [line for line in err.splitlines() if line.lstrip().startswith("File ")]
    if err.rstrip().endswith("KeyboardInterrupt") and not any("poc2prod" in line for line in frames):
        # Python's own start-up, or the entry line that imports poc2prod.__main__ (still in
        # the import machinery, reading the module): no poc2prod code has run yet (the
        # console script has the same line).
        pytest.skip("the signal landed before poc2prod's entry point ran")
    assert process.returncode == 130, err
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    assert err.startswith("error: interrupted")
