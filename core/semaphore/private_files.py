"""Files only their owner may read (config.json with keys, runner tokens, private keys), written
whole or not at all: a crash never leaves half a file, and the content is never readable by
others, not even for a moment."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_private_file(path: Path, content: str | bytes) -> None:
    """Write ``content`` to ``path`` with mode 0600, replacing the file atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)  # mkstemp: mode 0600
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content.encode() if isinstance(content, str) else content)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
