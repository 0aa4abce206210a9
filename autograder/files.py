"""Writing a file so that a reader sees the old version or the new one, never half of either."""

import os
import pathlib
import tempfile


def write_atomically(path, data, mode=None):
    """Write ``data`` (str or bytes) to ``path`` through a temporary file beside it and a rename;
    ``mode`` sets the new file's permission bits (e.g. to keep the old file's)."""
    path = pathlib.Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb" if isinstance(data, bytes) else "w") as f:
            f.write(data)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        pathlib.Path(tmp).unlink(missing_ok=True)
        raise
    return path
