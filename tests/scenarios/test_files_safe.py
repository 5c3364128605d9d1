"""A planner's files are sacred: what ``--force`` may replace, interrupts, full disks.

Each test here failed before the fix (issue 11): ``-o . --force`` deleted a user's documents,
``compare A B -o A --force`` deleted run A, interrupts left hidden work folders or replaced
the folder anyway, a file-size limit gave a traceback.
"""

from __future__ import annotations

import errno
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import scenarios.rundir as atomic
from scenarios.cli import app
from scenarios.rundir import MANIFEST, OutputError, OutputExistsError, atomic_folder, recover
from scenarios.scenario import PRESETS_DIR

cli = CliRunner()
HEALTHPLAN = [str(Path(sys.executable).with_name("healthplan"))]


def invoke(*args: str) -> tuple[int, str]:
    result = cli.invoke(app, list(args))
    return result.exit_code, result.stderr


def one_error(stderr: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if not line.startswith("- ")]
    assert "Traceback" not in stderr
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: "), stderr
    return lines[0]


def result_folder(path: Path, *names: str) -> Path:
    """A folder as healthplan writes it (through `atomic_folder`), holding `names`."""
    with atomic_folder(path) as work:
        for name in names or ("summary.json",):
            (work / name).write_text(name, encoding="utf-8")
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_force_never_replaces_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "my_report.docx").write_bytes(b"a planner's own work")
    monkeypatch.chdir(tmp_path)
    for target in (".", str(tmp_path), str(tmp_path.parent)):
        code, err = invoke("run", "baseline", "-o", target, "--force", "--no-png")
        assert code == 2
        line = one_error(err)
        assert "working directory, healthplan will not write there" in line, line
    assert (tmp_path / "my_report.docx").read_bytes() == b"a planner's own work"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["my_report.docx"]


def test_empty_output_path_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "keep.txt").write_text("x", encoding="utf-8")
    for command in (["run", "baseline"], ["sweep", "baseline", "--budgets", "1e9"]):
        code, err = invoke(*command, "-o", "", "--force")
        assert (code, one_error(err)) == (
            2,
            "error: -o: empty path - name a result folder, e.g. -o out/baseline",
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


def test_home_folder_is_never_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "notes.txt").write_text("x", encoding="utf-8")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(tmp_path)
    for target in (str(home), "~"):
        code, err = invoke("run", "baseline", "-o", target, "--force", "--no-png")
        assert code == 2
        assert f"error: {home}: is the home folder" in one_error(err)
    assert (home / "notes.txt").exists()


def test_the_scenarios_own_folder_is_never_replaced(tmp_path: Path) -> None:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    scenario = folder / "mine.toml"
    shutil.copy(PRESETS_DIR / "baseline.toml", scenario)
    code, err = invoke("run", str(scenario), "-o", str(folder), "--force", "--no-png")
    assert code == 2
    line = one_error(err)
    assert line.startswith(f"error: {folder}: holds an input of this command"), line
    assert scenario.read_text(encoding="utf-8").startswith("# ")


def test_compare_never_replaces_one_of_its_runs(tmp_path: Path) -> None:
    a = result_folder(tmp_path / "a")
    b = result_folder(tmp_path / "b")
    before = snapshot(a)
    for target in (a, tmp_path):
        code, err = invoke("compare", str(a), str(b), "-o", str(target), "--force")
        assert code == 2
        assert "holds an input of this command" in one_error(err)
    assert snapshot(a) == before
    assert b.exists()


def test_force_replaces_only_folders_healthplan_wrote(tmp_path: Path) -> None:
    plain = tmp_path / "documents"
    plain.mkdir()
    (plain / "budget.xlsx").write_bytes(b"mine")
    with pytest.raises(OutputError, match=r"not a result folder written by healthplan"):
        check(plain)
    ours = result_folder(tmp_path / "run", "summary.json", "map.html")
    check(ours)  # allowed
    (ours / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(OutputError, match=r"holds files healthplan did not write \(notes.txt\)"):
        check(ours)
    with pytest.raises(OutputExistsError, match="pass --force"):
        atomic.check_target(ours, force=False)
    (ours / "notes.txt").unlink()
    with atomic_folder(ours, force=True) as work:
        (work / "summary.json").write_text("new", encoding="utf-8")
    assert sorted(p.name for p in ours.iterdir()) == [MANIFEST, "summary.json"]
    manifest = json.loads((ours / MANIFEST).read_text(encoding="utf-8"))
    assert (manifest["kind"], manifest["files"]) == ("run", ["summary.json"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["documents", "run"]


def check(folder: Path) -> None:
    atomic.check_target(folder, force=True)


def test_a_file_in_the_way_and_a_symlink_are_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(OutputError, match="is a file, not a folder"):
        check(tmp_path / "file")
    real = result_folder(tmp_path / "real")
    (tmp_path / "link").symlink_to(real)
    with pytest.raises(OutputError, match="is a symbolic link"):
        check(tmp_path / "link")


def test_swap_without_renameat2_keeps_the_old_folder_until_the_new_is_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = result_folder(tmp_path / "run", "old.txt")
    monkeypatch.setattr(atomic, "_exchange", lambda a, b: False)
    with atomic_folder(target, force=True) as work:
        (work / "new.txt").write_text("new", encoding="utf-8")
    assert sorted(p.name for p in target.iterdir()) == [MANIFEST, "new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def dead_pid() -> int:
    done = subprocess.run(["true"], check=True)
    assert done.returncode == 0
    pid = os.getpid() + 1
    while True:  # a PID no process holds
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except PermissionError:
            pass
        pid += 1


def test_next_run_removes_stale_work_folders_and_restores_a_set_aside_folder(
    tmp_path: Path,
) -> None:
    target = tmp_path / "run"
    old = result_folder(tmp_path / f".run.healthplan-old-{dead_pid()}-abc", "summary.json")
    work = tmp_path / f".run.healthplan-work-{dead_pid()}-def"
    work.mkdir()
    alive = tmp_path / f".run.healthplan-work-{os.getppid()}-ghi"  # a live process's
    alive.mkdir()
    other = tmp_path / f".other.healthplan-work-{dead_pid()}-jkl"  # another target's
    other.mkdir()
    recover(target)
    assert sorted(p.name for p in target.iterdir()) == [MANIFEST, "summary.json"]
    assert not old.exists()
    assert not work.exists()
    assert alive.exists()
    assert other.exists()


def test_os_errors_name_the_users_path_not_the_work_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out" / "run"
    with pytest.raises(OutputError) as caught, atomic_folder(target) as work:
        raise PermissionError(errno.EACCES, "Permission denied", str(work / "plan.gpkg"))
    assert str(caught.value) == (
        f"{target}/plan.gpkg: Permission denied - choose a folder you can write to (-o)"
    )

    def refuse(**kwargs: object) -> str:
        raise PermissionError(errno.EACCES, "Permission denied", f"{kwargs['dir']}/.x-work")

    monkeypatch.setattr(atomic.tempfile, "mkdtemp", refuse)
    with pytest.raises(OutputError) as caught, atomic_folder(target):
        pass
    assert str(caught.value).startswith(f"{target.parent}: Permission denied")
    assert ".healthplan-" not in str(caught.value)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == []


def test_a_file_size_limit_is_one_line_naming_the_file(tmp_path: Path) -> None:
    limit = 400_000  # plan.gpkg is about 2.4 MB, the CSVs are smaller than this

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    done = subprocess.run(
        [*HEALTHPLAN, "run", "baseline", "-o", str(tmp_path / "run"), "--no-png"],
        preexec_fn=small_files,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert one_error(done.stderr) == (
        f"error: {tmp_path / 'run'}/plan.gpkg: File too large (limit {limit:,} bytes) - "
        "the file-size limit (ulimit -f) is too small for this file - raise it"
    )
    assert list(tmp_path.iterdir()) == []


def start_run(target: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*HEALTHPLAN, "run", "baseline", "-o", str(target), "--force"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(process: subprocess.Popen[str], phase: str) -> list[str]:
    """Progress lines up to and including the one starting `phase`."""
    assert process.stderr is not None
    seen = []
    for line in process.stderr:
        seen.append(line.rstrip("\n"))
        if line.startswith(f"- {phase}"):
            return seen
    pytest.fail(f"the run ended before {phase!r}: {seen}")


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.xdist_group("browser")
@pytest.mark.parametrize(
    ("phase", "delay", "number"),
    [
        ("solving", 0.1, signal.SIGINT),
        ("drawing maps", 0.5, signal.SIGINT),
        ("drawing maps", 2.0, signal.SIGTERM),  # PNG export in Chromium
        ("writing briefings", 0.3, signal.SIGINT),  # WeasyPrint swallows KeyboardInterrupt
        ("writing briefings", 1.5, signal.SIGTERM),
    ],
)
def test_an_interrupt_changes_nothing(
    tmp_path: Path, phase: str, delay: float, number: signal.Signals
) -> None:
    target = result_folder(tmp_path / "run", "summary.json")
    before = snapshot(target)
    process = start_run(target)
    wait_for(process, phase)
    time.sleep(delay)
    process.send_signal(number)
    _, err = process.communicate(timeout=300)
    if process.returncode == 0:
        pytest.skip(f"the run finished before the signal ({phase} + {delay} s)")
    assert process.returncode == 130, err
    assert err.strip().splitlines()[-1] == "interrupted; nothing was changed", err
    assert "Traceback" not in err
    assert "asyncio" not in err
    assert snapshot(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no work folder left


def test_an_interrupt_inside_a_library_is_still_an_interrupt(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """CI caught SIGINT during ``import highspy``: it surfaced as "ImportError:
    initialization failed" with a traceback and exit 1. The handler's flag makes it
    an interrupt, whatever a C extension turns the KeyboardInterrupt into."""
    from scenarios import cli
    from scenarios.rundir import request_interrupt

    def import_interrupted() -> None:
        request_interrupt()
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as signal_raised:
            raise ImportError("initialization failed") from signal_raised

    def command() -> None:
        with cli._command():
            import_interrupted()

    with pytest.raises(typer.Exit) as stop:
        command()
    assert stop.value.exit_code == 130
    assert capsys.readouterr().err == "interrupted; nothing was changed\n"


def test_a_real_error_without_an_interrupt_keeps_its_traceback() -> None:
    from scenarios import cli

    with pytest.raises(ImportError, match="initialization failed"), cli._command():
        raise ImportError("initialization failed")
