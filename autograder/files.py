"""Writing a file so that a reader sees the old version or the new one, never half of either."""

import os
import pathlib
import tempfile


def umask():
    """This process's umask, read without changing it where Linux tells it (/proc), else by setting it back."""
    try:
        for line in pathlib.Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def default_mode(directory=False):
    """The permission bits a new file (or folder) gets from open() (or mkdir()) under the user's umask."""
    return (0o777 if directory else 0o666) & ~umask()


def write_atomically(path, data, mode=None):
    """Write ``data`` (str or bytes) to ``path`` through a temporary file beside it and a rename;
    ``mode`` sets the new file's permission bits (e.g. to keep the old file's); by default they
    follow the user's umask, as for any new file (mkstemp alone would make it 0600)."""
    path = pathlib.Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb" if isinstance(data, bytes) else "w") as f:
            f.write(data)
        os.chmod(tmp, default_mode() if mode is None else mode)
        os.replace(tmp, path)
    except BaseException:
        pathlib.Path(tmp).unlink(missing_ok=True)
        raise
    return path
