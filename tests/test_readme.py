"""The README's shell blocks, pasted top to bottom into one fresh shell, against a demo server.

Every ```sh block runs, in order, in one `bash` with `set -euo pipefail`, except a block the line
before marks `<!-- readme-test: skip … -->` (installing, the test suite itself, another server, a refusal
shown on purpose, a webhook receiver of your own, generating a client). `curl` fails on any HTTP error, so a README step that stopped working fails this test. The server is
`triangle serve` on a database of its own, on a free port the blocks' `127.0.0.1:8000` is pointed at.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

README = Path(__file__).parent.parent / "README.md"
_BLOCK = re.compile(r"(?P<before>[^\n]*)\n```sh\n(?P<body>.*?)\n```", re.DOTALL)


def shell_blocks(readme: str) -> list[str]:
    """The README's ```sh blocks that a reader pastes, in order."""
    return [m["body"] for m in _BLOCK.finditer(readme) if "readme-test: skip" not in m["before"]]


def test_some_blocks_are_run_and_the_skipped_are_few() -> None:
    readme = README.read_text()
    assert len(shell_blocks(readme)) >= 8
    assert readme.count("readme-test: skip") <= 8


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def test_readme_shell_blocks_run_clean(empty_database_url: str) -> None:
    port = _free_port()
    work = Path(tempfile.mkdtemp(prefix="triangle-readme-"))
    bin_dir = str(Path(sys.executable).parent)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TRIANGLE_")},
        "DATABASE_URL": empty_database_url,
        "TRIANGLE_DATA_DIR": str(work / "data"),
        "TRIANGLE_LOG_LEVEL": "WARNING",
        # `create-admin` asks for a password at a terminal; a script sets it.
        "TRIANGLE_ADMIN_PASSWORD": "a long admin password",
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(work / "server.log").open("wb"),
    )
    try:
        deadline = time.monotonic() + 120
        while not _ready(port):
            assert server.poll() is None, (work / "server.log").read_text()
            assert time.monotonic() < deadline, "the server did not become ready"
            time.sleep(0.3)
        script = "\n\n".join(shell_blocks(README.read_text())).replace("127.0.0.1:8000", f"127.0.0.1:{port}")
        prelude = (
            "set -euo pipefail\n"
            # Any HTTP error fails the step (and with `set -e`, the run), showing the answer.
            'curl() { command curl --fail-with-body "$@"; }\n'
        )
        (work / "readme.sh").write_text(prelude + script + "\n")
        done = subprocess.run(  # noqa: S603
            ["bash", str(work / "readme.sh")],  # noqa: S607
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
        assert done.returncode == 0, f"stdout:\n{done.stdout[-4000:]}\nstderr:\n{done.stderr[-4000:]}"
    finally:
        server.terminate()
        server.wait(30)
