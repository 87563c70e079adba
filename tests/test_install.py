"""Installation: the kernelspec ships with the package and installs anywhere."""
import json
import subprocess
import sys

from jupyter_client.kernelspec import KernelSpecManager

from tests.support.client import KernelSession


def test_pip_install_makes_kernel_visible():
    spec = KernelSpecManager().get_kernel_spec("reactive")
    assert spec.display_name == "Python 3 (reactive)"
    assert spec.argv[1:3] == ["-m", "reactive_kernel"]
    assert {"logo-32x32.png", "logo-64x64.png", "logo-svg.svg"} <= {
        p.name for p in __import__("pathlib").Path(spec.resource_dir).iterdir()}


def test_install_command_into_prefix(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "reactive_kernel", "install", "--prefix", str(tmp_path),
         "--name", "reactive-test", "--display-name", "Reactive (test)"],
        check=True, capture_output=True, text=True)
    spec_dir = tmp_path / "share" / "jupyter" / "kernels" / "reactive-test"
    assert str(spec_dir) in out.stdout
    spec = json.loads((spec_dir / "kernel.json").read_text())
    assert spec["display_name"] == "Reactive (test)"
    assert spec["argv"][0] == sys.executable
    assert (spec_dir / "logo-64x64.png").exists()


def test_rerun_mode_is_configurable_from_kernel_argv():
    with KernelSession("reactive", extra_arguments=["--ReactiveKernel.rerun_mode=keep"]) as session:
        session.execute("x = 0", "c1")
        session.execute("x = x + 1", "c2")
        again = session.execute("x = x + 1", "c2")
        assert again.reactive["mode"] == "keep"
        assert session.value("x") == "2"


def test_sql_settings_are_configurable_from_kernel_argv():
    with KernelSession("reactive", extra_arguments=["--ReactiveKernel.sql_display_rows=2"]) as session:
        shown = session.execute(
            "%%sql -o r\nWITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5)\n"
            "SELECT i FROM n", "c1")
        assert "5 rows × 1 column (first 2 shown)" in shown.text()
        assert session.value("len(r)") == "5"


def test_autorun_off_only_marks_dependents_stale():
    with KernelSession("reactive", extra_arguments=["--ReactiveKernel.autorun=False"]) as session:
        session.execute("x = 1", "c1")
        session.execute("y = x + 1", "c2")
        edit = session.execute("x = 5", "c1")
        assert edit.reactive["ran"] == [{"cell_id": "c1", "role": "target", "status": "ok"}]
        assert edit.reactive["stale"] == ["c2"]
        assert session.value("y") == "2"
        assert session.execute("y = x + 1", "c2").reactive["stale"] == []
        assert session.value("y") == "6"
