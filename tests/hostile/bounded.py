"""Run hostile input in a child process under a memory ceiling, and report the peak memory it used.

A bomb that gets past a limit would take the test process (and the machine) with it; a child with a capped
address space fails alone, and its peak resident memory shows whether the limit held.
"""

import os
import resource
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The child's address space. Python with Django, NumPy, pandas and pyarrow loaded maps about 400 MB of it.
ADDRESS_SPACE_LIMIT = 2 * 1024**3
# What a child may use at its peak and still count as bounded: the libraries plus a few hundred MB of work.
PEAK_RSS_LIMIT_MB = 600

_PRELUDE = """
import os, resource, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.settings")
import django
django.setup()
"""
_EPILOGUE = """
print("PEAK_RSS_MB=%.1f" % (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))
"""


@dataclass(frozen=True)
class Outcome:
    """How a bounded child process ended."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def peak_rss_mb(self) -> float:
        """The child's peak resident memory, as it printed it last (inf when it died before)."""
        for line in reversed(self.stdout.splitlines()):
            if line.startswith("PEAK_RSS_MB="):
                return float(line.split("=", 1)[1])
        return float("inf")


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_LIMIT, ADDRESS_SPACE_LIMIT))


def run_bounded(code: str, *, data_dir: Path, timeout: float = 120, env: dict[str, str] | None = None) -> Outcome:
    """Run Python `code` with Django set up, in a child limited to ADDRESS_SPACE_LIMIT bytes and `timeout` s.

    The child uses its own SQLite database under `data_dir` (run `migrate` in `code` when it needs tables).
    """
    child_env = {
        **os.environ,
        "ACCORD_TESTING": "1",
        "ACCORD_DATA_DIR": str(data_dir),
        "PYTHONPATH": str(ROOT),
        **(env or {}),
    }
    child_env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", _PRELUDE + textwrap.dedent(code) + _EPILOGUE],
        cwd=ROOT,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=_limit_memory,  # noqa: PLW1509 - the child runs no threads before exec
    )
    return Outcome(done.returncode, done.stdout, done.stderr)
