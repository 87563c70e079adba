"""A private `jupyter lab` / `jupyter notebook` server for browser tests.

Everything the server reads or writes lives in a temporary directory (root,
runtime, config, data, lab settings and workspaces), so the user's own
Jupyter configuration cannot interfere; kernelspecs still come from the
environment (sys.prefix), which is where the reactive kernelspec is.
"""
from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

JUPYTER = str(Path(sys.executable).with_name("jupyter"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class JupyterServer:
    def __init__(self, app: str, base: Path, startup_timeout: float = 120):
        self.app = app  # "lab" or "notebook"
        self.root = base / "root"
        self.token = secrets.token_hex(16)
        self.port = free_port()
        dirs = {name: base / name for name in
                ("runtime", "config", "data", "settings", "workspaces")}
        for d in [self.root, *dirs.values()]:
            d.mkdir(parents=True, exist_ok=True)
        # no news / update pop-ups over the notebook
        notification = dirs["settings"] / "@jupyterlab" / "apputils-extension"
        notification.mkdir(parents=True)
        (notification / "notification.jupyterlab-settings").write_text(
            json.dumps({"fetchNews": "false", "checkForUpdates": False}))
        env = dict(os.environ,
                   JUPYTER_RUNTIME_DIR=str(dirs["runtime"]),
                   JUPYTER_CONFIG_DIR=str(dirs["config"]),
                   JUPYTER_DATA_DIR=str(dirs["data"]),
                   JUPYTERLAB_SETTINGS_DIR=str(dirs["settings"]),
                   JUPYTERLAB_WORKSPACES_DIR=str(dirs["workspaces"]),
                   IPYTHONDIR=str(base / "ipython"),
                   PYDEVD_DISABLE_FILE_VALIDATION="1")
        env.pop("JUPYTER_PATH", None)
        env.pop("JUPYTER_CONFIG_PATH", None)
        self.log_path = base / f"jupyter-{app}.log"
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [JUPYTER, app, "--no-browser",
             "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
             "--ServerApp.port_retries=0",
             f"--IdentityProvider.token={self.token}",
             f"--ServerApp.root_dir={self.root}",
             "--ServerApp.open_browser=False",
             "--LabApp.news_url=",
             f"--LabServerApp.user_settings_dir={dirs['settings']}",
             f"--LabServerApp.workspaces_dir={dirs['workspaces']}",
             "--LabApp.extension_manager=readonly",
             *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else [])],
            cwd=self.root, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        self._wait_ready(startup_timeout)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def page_url(self, notebook: str) -> str:
        path = "lab/tree" if self.app == "lab" else "notebooks"
        return f"{self.url}/{path}/{notebook}?token={self.token}"

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter {self.app} exited:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/status?token={self.token}",
                                            timeout=5) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.25)
        raise RuntimeError(f"jupyter {self.app} did not start:\n{self.log()}")

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-5000:]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()
