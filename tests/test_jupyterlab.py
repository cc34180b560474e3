"""End to end: JupyterLab serves the lessons, and a kernel there runs ``mlkit.doctor()``.

This is what a learner does after ``make lab``, driven through Jupyter's REST and websocket
APIs instead of a browser. The server runs with a throwaway HOME and JUPYTER_* folders so it
never reads or writes the user's Jupyter configuration.
"""
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest

pytest.importorskip("jupyterlab", reason="JupyterLab is not installed (pip install -e '.[lab]')")
websocket = pytest.importorskip("websocket", reason="websocket-client comes with jupyter_server")

LESSONS = Path(__file__).resolve().parents[1] / "lessons"
SERVER_START_S = 60
EXECUTE_S = 60
MAX_MESSAGES = 2000


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A running JupyterLab: its URL, token and process, with small REST helpers."""

    def __init__(self, process, port, token, log_path):
        self.process, self.port, self.token, self.log_path = process, port, token, log_path
        self.url = f"http://127.0.0.1:{port}"

    def request(self, method, path, body=None, timeout=10):
        """The JSON answer to one authenticated REST call (None when the answer is empty)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method, headers={
            "Authorization": f"token {self.token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            text = response.read().decode()
        return json.loads(text) if text.strip() else None

    def log_tail(self, characters=4000):
        """The end of the server's output, for failure messages."""
        try:
            return self.log_path.read_text(errors="replace")[-characters:]
        except OSError:
            return "(no server log)"

    def wait_until_ready(self):
        deadline = time.monotonic() + SERVER_START_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"JupyterLab exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                return self.request("GET", "/api/status", timeout=2)
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.25)  # still starting
        pytest.fail(f"JupyterLab did not answer in {SERVER_START_S} s:\n{self.log_tail()}")

    def stop(self):
        """Ask the server to shut down; terminate it, then kill it, if it will not."""
        if self.process.poll() is None:
            try:
                self.request("POST", "/api/shutdown", timeout=5)
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass  # already going away: waiting below settles it
        for stop_harder in (lambda: None, self.process.terminate, self.process.kill):
            stop_harder()
            try:
                self.process.wait(timeout=10)
                return
            except subprocess.TimeoutExpired:
                continue


@pytest.fixture
def jupyterlab(tmp_path):
    """A JupyterLab on a free port, a random token, and root folder lessons/."""
    assert LESSONS.is_dir(), f"{LESSONS} is missing"
    home = tmp_path / "home"
    env = dict(os.environ, HOME=str(home),
               JUPYTER_CONFIG_DIR=str(home / "jupyter-config"),
               JUPYTER_DATA_DIR=str(home / "jupyter-data"),
               JUPYTER_RUNTIME_DIR=str(home / "jupyter-runtime"),
               IPYTHONDIR=str(home / "ipython"),
               JUPYTER_PLATFORM_DIRS="1",  # the new layout, and no warning about the old one
               MLKIT_DATA=str(tmp_path / "mlkit-data"), MLKIT_MODE="smoke")
    for name in ("JUPYTER_PATH", "JUPYTER_CONFIG_PATH", "JUPYTER_TOKEN", "MLKIT_DEVICE"):
        env.pop(name, None)
    home.mkdir()
    port, token = free_port(), secrets.token_hex(24)
    log_path = tmp_path / "jupyterlab.log"
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser",
               "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
               "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={LESSONS}",
               # No calls to the internet from a test (update checks, news).
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
               "--LabApp.news_url=None", "--LabApp.extension_manager=readonly"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # CI containers run as root; Jupyter refuses otherwise
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, env=env, cwd=tmp_path, stdin=subprocess.DEVNULL,
                                   stdout=log, stderr=subprocess.STDOUT)
    server = Server(process, port, token, log_path)
    try:
        server.wait_until_ready()
        yield server
    finally:
        server.stop()


def execute_request(code, session):
    """A Jupyter protocol 5.3 ``execute_request`` message for the JSON websocket channel."""
    return {
        "header": {"msg_id": uuid.uuid4().hex, "msg_type": "execute_request",
                   "username": "test", "session": session, "version": "5.3",
                   "date": datetime.now(timezone.utc).isoformat()},
        "parent_header": {}, "metadata": {}, "buffers": [], "channel": "shell",
        "content": {"code": code, "silent": False, "store_history": False,
                    "user_expressions": {}, "allow_stdin": False, "stop_on_error": True},
    }


def run_in_kernel(server, kernel_id, code):
    """Run ``code`` in the kernel: its stdout and stderr text, errors and execute_reply status."""
    session = uuid.uuid4().hex
    channel = websocket.create_connection(
        f"ws://127.0.0.1:{server.port}/api/kernels/{kernel_id}/channels?session_id={session}",
        header=[f"Authorization: token {server.token}"], timeout=EXECUTE_S)
    try:
        request = execute_request(code, session)
        channel.send(json.dumps(request))
        output, errors, reply_status, idle = [], [], None, False
        deadline = time.monotonic() + EXECUTE_S
        for _ in range(MAX_MESSAGES):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or (idle and reply_status is not None):
                break
            channel.settimeout(remaining)
            message = json.loads(channel.recv())
            if message.get("parent_header", {}).get("msg_id") != request["header"]["msg_id"]:
                continue  # e.g. the kernel_info exchange the server starts on connecting
            kind, content = message["msg_type"], message["content"]
            if kind == "stream":
                output.append(content["text"])
            elif kind == "error":
                errors.append(f"{content['ename']}: {content['evalue']}")
            elif kind == "execute_reply":
                reply_status = content["status"]
            elif kind == "status" and content["execution_state"] == "idle":
                idle = True
        return "".join(output), errors, reply_status
    finally:
        channel.close()


@pytest.mark.slow
def test_lessons_open_in_jupyterlab_and_a_kernel_runs_the_doctor(jupyterlab):
    listing = jupyterlab.request("GET", "/api/contents")
    assert listing["type"] == "directory"
    listed = {item["name"]: item["type"] for item in listing["content"]}
    for notebook in sorted(LESSONS.glob("*.ipynb")):
        assert listed.get(notebook.name) == "notebook", f"{notebook.name} not listed: {listed}"

    kernel = jupyterlab.request("POST", "/api/kernels", {"name": "python3"})
    try:
        output, errors, reply_status = run_in_kernel(
            jupyterlab, kernel["id"], "import mlkit\nmlkit.doctor()\nmlkit.doctor()")
    finally:
        jupyterlab.request("DELETE", f"/api/kernels/{kernel['id']}")
    assert not errors, f"{errors}\n{output}\nserver log:\n{jupyterlab.log_tail()}"
    assert reply_status == "ok", f"execute_reply {reply_status}\n{output}"
    for label in ("Chainer", "run mode", "device", "full MNIST"):
        assert label in output, f"no {label!r} row in the kernel's output:\n{output}"
    assert "smoke" in output  # the kernel inherited the server's MLKIT_MODE
