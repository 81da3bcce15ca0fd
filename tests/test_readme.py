"""The README's shell blocks, pasted top to bottom into one fresh shell, against a demo server.

Every ```sh block runs, in order, in one `bash` with `set -euo pipefail`, except a block the line
before marks `<!-- readme-test: skip … -->` (installing, the test suite itself, another server, a refusal
shown on purpose, a webhook receiver of your own, generating a client). `curl` fails on any HTTP error, so a README step that stopped working fails this test. The server is
`triangle serve` on a database of its own, on a free port the blocks' `127.0.0.1:8000` is pointed at,
started as the script starts: the blocks before the first request run while it comes up.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

README = Path(__file__).parent.parent / "README.md"
SERVER_START_SECONDS = 120
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


@pytest.mark.long
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
        # As a reader who starts `triangle serve` in one terminal and pastes the blocks into another:
        # the console commands before the first request (`triangle demo`, `create-admin`) run while
        # the server starts (each migrates, in turn: `app.core.migrations`), and the first block that
        # talks to the server waits until it answers `/readyz`.
        blocks = shell_blocks(README.read_text())
        first_request = next(
            i for i, block in enumerate(blocks) if "127.0.0.1:8000" in block or "$API" in block
        )
        blocks.insert(first_request, "server_ready")
        script = "\n\n".join(blocks).replace("127.0.0.1:8000", f"127.0.0.1:{port}")
        prelude = (
            "set -euo pipefail\n"
            # Any HTTP error fails the step (and with `set -e`, the run), showing the answer.
            'curl() { command curl --fail-with-body "$@"; }\n'
            "server_ready() {\n"
            f"  for _ in $(seq {SERVER_START_SECONDS * 5}); do\n"
            f"    command curl -sf -o /dev/null http://127.0.0.1:{port}/readyz && return 0\n"
            f"    kill -0 {server.pid} 2>/dev/null || {{ echo 'the server exited' >&2; return 1; }}\n"
            "    sleep 0.2\n"
            "  done\n"
            "  echo 'the server did not become ready' >&2; return 1\n"
            "}\n"
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
        assert done.returncode == 0, (
            f"stdout:\n{done.stdout[-4000:]}\nstderr:\n{done.stderr[-4000:]}\n"
            f"server:\n{(work / 'server.log').read_text()[-4000:]}"
        )
    finally:
        server.terminate()
        server.wait(30)
