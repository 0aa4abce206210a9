"""Datasets for the notebooks: MNIST-1D (built in, no download) and CIFAR-10 (downloaded once).

This module is provided code; you do not need to change it.

MNIST-1D
    Greydanus, "Scaling down deep learning" (2020), https://github.com/greydanus/mnist1d.
    Ten hand-designed 1-D "digit" templates (12 points each) are padded, stretched, scaled,
    shifted, drowned in correlated and white noise, sheared and resampled to 40 points. The
    official set has 5000 signals (500 per class): 4000 for training and 1000 for testing.
    It is small enough to be generated in a fraction of a second with numpy alone, yet hard
    enough that a linear classifier (~30-40% test accuracy) and an MLP clearly differ, which
    makes it a good stand-in for MNIST when experiments must run in seconds.

CIFAR-10
    Krizhevsky, "Learning Multiple Layers of Features from Tiny Images" (2009),
    https://www.cs.toronto.edu/~kriz/cifar.html. 60000 colour images of 32x32 pixels in 10
    classes (50000 for training, 10000 for testing). The python archive (~163 MB) is
    downloaded on first use into the cache folder: ``$CS231N_DATA`` if that variable is set,
    otherwise ``~/.cache/cs231n_lib``.
"""

import hashlib
import http.client
import os
import pathlib
import pickle
import socket
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request

import numpy as np

__all__ = [
    "make_mnist1d",
    "load_mnist1d",
    "MNIST1D_CLASS_NAMES",
    "CIFAR10_URL",
    "CIFAR10_MD5",
    "CIFAR10_CLASS_NAMES",
    "DownloadError",
    "ChecksumError",
    "default_data_dir",
    "download_cifar10",
    "load_cifar10",
]

# ---------------------------------------------------------------------------------------
# MNIST-1D
# ---------------------------------------------------------------------------------------

MNIST1D_CLASS_NAMES = [str(d) for d in range(10)]

# The ten templates of the MNIST-1D paper, one row per digit 0..9. They are raw heights
# (baseline 5); _mnist1d_templates normalises them.
_MNIST1D_RAW_TEMPLATES = np.array(
    [
        [5.0, 6.0, 6.5, 6.75, 7.0, 7.0, 7.0, 7.0, 6.75, 6.5, 6.0, 5.0],
        [5.0, 3.0, 3.0, 3.4, 3.8, 4.2, 4.6, 5.0, 5.4, 5.8, 5.0, 5.0],
        [5.0, 6.0, 6.5, 6.5, 6.0, 5.25, 4.75, 4.0, 3.5, 3.5, 4.0, 5.0],
        [5.0, 6.0, 6.5, 6.5, 6.0, 5.0, 5.0, 6.0, 6.5, 6.5, 6.0, 5.0],
        [5.0, 4.4, 3.8, 3.2, 2.6, 2.6, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0],
        [5.0, 3.0, 3.0, 3.0, 3.0, 5.0, 6.0, 6.5, 6.5, 6.0, 4.5, 5.0],
        [5.0, 4.0, 3.5, 3.25, 3.0, 3.0, 3.0, 3.0, 3.25, 3.5, 4.0, 5.0],
        [5.0, 7.0, 7.0, 6.6, 6.2, 5.8, 5.4, 5.0, 4.6, 4.2, 5.0, 5.0],
        [5.0, 4.0, 3.5, 3.5, 4.0, 5.0, 5.0, 4.0, 3.5, 3.5, 4.0, 5.0],
        [5.0, 4.0, 3.5, 3.5, 4.0, 5.0, 5.0, 5.0, 5.0, 4.7, 4.3, 5.0],
    ]
)

# Parameters of the official dataset (mnist1d.data.get_dataset_args()).
_TEMPLATE_LEN = 12
_PAD_MIN, _PAD_MAX = 36, 60
_SCALE_COEFF = 0.4
_MAX_TRANSLATION = 48
_CORR_NOISE_SCALE = 0.25
_IID_NOISE_SCALE = 2e-2
_SHEAR_SCALE = 0.75
_FINAL_LEN = 40
_TRAIN_FRACTION = 0.8
_EPS = 1e-8  # added to the template so that its own zeros are not taken for padding
_DILATED_LEN = _TEMPLATE_LEN + _PAD_MAX  # every padded signal is resampled to this length


def _mnist1d_templates():
    """Normalised templates.

    Returns:
    - x: (10, 12) float64, each row zero-mean/unit-std, shifted to start at 0, divided by 6
    - t: (12,) float64, the "time" axis of the templates
    """
    x = _MNIST1D_RAW_TEMPLATES.copy()
    x -= x.mean(axis=1, keepdims=True)
    x /= x.std(axis=1, keepdims=True)
    x -= x[:, :1]  # every digit starts (and ends) at height 0
    t = np.linspace(-5, 5, _TEMPLATE_LEN) / 6.0
    return x / 6.0, t


def _resample(x, n):
    """Linear resampling of the last axis onto ``n`` evenly spaced points.

    Inputs:
    - x: (..., L) float array sampled on linspace(0, 1, L)
    - n: number of output points

    Returns:
    - (..., n) float64 array sampled on linspace(0, 1, n)
    """
    x = np.asarray(x, dtype=np.float64)
    length = x.shape[-1]
    old = np.linspace(0.0, 1.0, length)
    new = np.linspace(0.0, 1.0, n)
    if x.ndim == 1:
        # scipy's interp1d(kind="linear") on 1-D float data delegates to np.interp, so
        # this reproduces the reference to the last bit.
        return np.interp(new, old, x)
    # Same arithmetic as np.interp, vectorised over the leading axes: pick the interval
    # [old[j], old[j+1]] holding each new point and follow its line from the left end.
    j = np.clip(np.searchsorted(old, new, side="right") - 1, 0, length - 2)
    slope = (x[..., j + 1] - x[..., j]) / (old[j + 1] - old[j])
    out = slope * (new - old[j]) + x[..., j]
    out[..., new == old[-1]] = x[..., -1:]  # np.interp returns the last sample exactly
    return out


def _gaussian_smooth(x, sigma=2.0, truncate=4.0):
    """Gaussian filter along the last axis, matching scipy.ndimage.gaussian_filter(x, sigma).

    The borders are extended by half-sample reflection (d c b a | a b c d | d c b a),
    which is scipy's default mode "reflect" (numpy calls it "symmetric").

    Inputs:
    - x: (N, L) float array
    - sigma: standard deviation of the kernel, in samples
    - truncate: the kernel is cut at truncate * sigma samples from its centre

    Returns:
    - (N, L) float64 array
    """
    radius = int(truncate * sigma + 0.5)
    offsets = np.arange(-radius, radius + 1)
    weights = np.exp(-0.5 * offsets**2 / sigma**2)
    weights /= weights.sum()
    length = x.shape[-1]
    padded = np.pad(x, [(0, 0), (radius, radius)], mode="symmetric")
    # The kernel is symmetric, so correlation and convolution agree; summing the 2*radius+1
    # shifted copies keeps everything vectorised over the batch.
    out = np.zeros(x.shape, dtype=np.float64)
    for k, w in enumerate(weights):
        out += w * padded[:, k : k + length]
    return out


def make_mnist1d(seed=42, num_samples=5000):
    """Generate MNIST-1D exactly as the reference implementation does.

    With the defaults this is the official dataset of Greydanus (2020) (the one
    ``mnist1d.data.make_dataset(mnist1d.data.get_dataset_args())`` builds), equal to it up
    to floating-point rounding (~1e-15). The random numbers come from a private
    ``np.random.RandomState(seed)`` drawn in the reference's order, so numpy's global random
    state is neither used nor changed.

    Inputs:
    - seed: integer seed
    - num_samples: total number of signals, split evenly over the 10 classes
      (num_samples // 10 per class, as in the reference)

    Returns a dict in the official format:
    - 'x': (M, 40) float64 training signals, M = int(0.8 * 10 * (num_samples // 10))
    - 'y': (M,) int64 labels in 0..9
    - 'x_test': (T, 40) float64 test signals
    - 'y_test': (T,) int64
    - 't': (40,) float64 the common "time" axis of the signals (for plotting)
    The whole set (train and test together) is standardised to mean 0 and std 1.
    """
    if isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer)):
        raise ValueError(f"num_samples must be an integer, got {num_samples!r}")
    if num_samples < 10:
        raise ValueError(f"num_samples must be at least 10 (one per class), got {num_samples}")

    templates, t = _mnist1d_templates()
    n_classes = len(templates)
    per_class = num_samples // n_classes
    n = per_class * n_classes
    labels = np.repeat(np.arange(n_classes, dtype=np.int64), per_class)  # class-major order

    # 1. Draw every random number first, in exactly the order of the reference's per-signal
    #    loop (pad, scale, translate, correlated noise, white noise, shear). The transforms
    #    below are then vectorised over all signals.
    rng = np.random.RandomState(seed)
    u_pad = np.empty(n)
    u_scale = np.empty(n)
    shift = np.empty(n, dtype=np.int64)
    corr = np.empty((n, _DILATED_LEN))
    iid = np.empty((n, _DILATED_LEN))
    u_shear = np.empty(n)
    for i in range(n):
        u_pad[i] = rng.rand()
        u_scale[i] = rng.rand()
        shift[i] = rng.choice(_MAX_TRANSLATION)
        corr[i] = _CORR_NOISE_SCALE * rng.randn(_DILATED_LEN)
        iid[i] = _IID_NOISE_SCALE * rng.randn(_DILATED_LEN)
        u_shear[i] = rng.rand()
    order = rng.permutation(n)  # the final shuffle comes after all signals are made

    # 2. Pad with p zeros, then stretch to 72 points. The result depends only on
    #    (class, p), so each of the 10 x 25 combinations is computed once.
    pad = _PAD_MIN + (u_pad * (_PAD_MAX - _PAD_MIN + 1)).astype(np.int64)
    dilated = np.empty((n_classes, _PAD_MAX + 1, _DILATED_LEN))
    for c in range(n_classes):
        for p in range(_PAD_MIN, _PAD_MAX + 1):
            padded = np.concatenate([templates[c] + _EPS, np.zeros(p)])
            dilated[c, p] = _resample(padded, _DILATED_LEN)
    x = dilated[labels, pad]

    # 3. Random amplitude, then a circular shift to the right by 0..47 samples.
    x = x * (1 + _SCALE_COEFF * (u_scale - 0.5))[:, None]
    cols = (np.arange(_DILATED_LEN)[None, :] - shift[:, None]) % _DILATED_LEN
    x = np.take_along_axis(x, cols, axis=1)

    # 4. Smooth noise fills the padding only (the exact zeros); white noise goes everywhere.
    x = np.where(x != 0, x, _gaussian_smooth(corr))
    x = x + iid

    # 5. Add a random linear trend, then subsample to 40 points.
    x = x - (_SHEAR_SCALE * (u_shear - 0.5))[:, None] * np.linspace(-0.5, 0.5, _DILATED_LEN)
    x = _resample(x, _FINAL_LEN)
    t_out = _resample(_resample(t, _DILATED_LEN), _FINAL_LEN)

    x = x[order]
    y = labels[order]
    std = x.std()
    t_out = t_out / std
    x = (x - x.mean()) / std

    split = int(n * _TRAIN_FRACTION)
    return {"x": x[:split], "y": y[:split], "x_test": x[split:], "y_test": y[split:], "t": t_out}


def load_mnist1d(num_val=500, seed=42):
    """The official MNIST-1D split into training, validation and test sets.

    MNIST-1D (Greydanus 2020): 5000 one-dimensional signals of length 40, 10 classes
    (the digits 0-9, 500 signals each), standardised to mean 0 / std 1. The official split
    has 4000 training and 1000 test signals; the validation set is the last ``num_val``
    signals of the official training split (the signals are already shuffled).

    The set is regenerated on every call (about 0.1 s), so nothing is cached on disk.

    Inputs:
    - num_val: number of validation signals, 0 <= num_val < 4000
    - seed: generator seed; 42 gives the official dataset

    Returns a dict of numpy arrays:
    - 'X_train': (4000 - num_val, 40) float64
    - 'y_train': (4000 - num_val,) int64 labels in 0..9
    - 'X_val': (num_val, 40) float64
    - 'y_val': (num_val,) int64
    - 'X_test': (1000, 40) float64
    - 'y_test': (1000,) int64
    """
    data = make_mnist1d(seed=seed)
    n_train = len(data["y"])
    if isinstance(num_val, bool) or not isinstance(num_val, (int, np.integer)):
        raise ValueError(f"num_val must be an integer, got {num_val!r}")
    if not 0 <= num_val < n_train:
        raise ValueError(
            f"num_val must be between 0 and {n_train - 1} (the official training split has "
            f"{n_train} signals), got {num_val}"
        )
    cut = n_train - num_val
    return {
        "X_train": data["x"][:cut],
        "y_train": data["y"][:cut],
        "X_val": data["x"][cut:],
        "y_val": data["y"][cut:],
        "X_test": data["x_test"],
        "y_test": data["y_test"],
    }


# ---------------------------------------------------------------------------------------
# CIFAR-10
# ---------------------------------------------------------------------------------------

CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR10_MD5 = "c58f30108f718f92721af3b95e74349a"
CIFAR10_CLASS_NAMES = [
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
]  # fmt: skip

_CIFAR10_DIR = "cifar-10-batches-py"
_CHUNK = 1 << 20  # 1 MiB per read: few Python iterations, smooth progress bar
_TIMEOUT = 30  # seconds without data before we give up


class DownloadError(RuntimeError):
    """A dataset could not be downloaded (no network, HTTP error, interrupted transfer)."""


class ChecksumError(DownloadError):
    """The downloaded file does not have the expected MD5 checksum."""


def default_data_dir():
    """Folder where datasets are cached: ``$CS231N_DATA`` or ``~/.cache/cs231n_lib``."""
    env = os.environ.get("CS231N_DATA")
    return pathlib.Path(env).expanduser() if env else pathlib.Path.home() / ".cache" / "cs231n_lib"


def _root_dir(root):
    return default_data_dir() if root is None else pathlib.Path(root).expanduser()


def _archive_name(url):
    name = os.path.basename(urllib.parse.urlparse(url).path)
    return name or "cifar-10-python.tar.gz"


def _md5_of(path):
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _manual_hint(url, target):
    return (
        f"To install it by hand, download {url} on a machine with internet access and copy "
        f"it to {target} (or set the environment variable CS231N_DATA to the folder holding "
        f"it), then run this again."
    )


def download_cifar10(root=None, url=CIFAR10_URL, md5=CIFAR10_MD5, progress=True):
    """Download the CIFAR-10 python archive into ``root`` unless a verified copy is there.

    The file is streamed to a temporary ``.part`` file next to its destination, checked
    against ``md5`` and only then renamed into place (an atomic rename), so an interrupted or
    corrupt download never leaves a file that looks complete.

    Inputs:
    - root: cache folder; None means ``$CS231N_DATA`` or ``~/.cache/cs231n_lib``
    - url: where to download from (http, https or file URL)
    - md5: expected hex MD5 of the archive; None skips the check
    - progress: show a progress bar (notebook-aware tqdm)

    Returns:
    - pathlib.Path of the verified archive

    Raises:
    - DownloadError if the server cannot be reached or the transfer fails
    - ChecksumError (a DownloadError) if the downloaded file has the wrong MD5
    """
    root = _root_dir(root)
    target = root / _archive_name(url)

    if target.is_file():
        if md5 is None or _md5_of(target) == md5:
            return target
        # A stale or truncated copy: fetch a fresh one. It replaces the bad file only once
        # it has been verified, so a failed retry leaves the situation no worse.

    root.mkdir(parents=True, exist_ok=True)
    fd, part_name = tempfile.mkstemp(dir=root, prefix=target.name + ".", suffix=".part")
    part = pathlib.Path(part_name)
    try:
        with os.fdopen(fd, "wb") as out:
            got = _stream(url, out, target, progress)
        if md5 is not None and got != md5:
            raise ChecksumError(
                f"Checksum mismatch for {url}: expected MD5 {md5}, got {got}. The download "
                f"was discarded; try again, or place a good copy at {target} by hand."
            )
        os.replace(part, target)
    finally:
        # On success the .part file has been renamed away; on any failure it is removed.
        part.unlink(missing_ok=True)
    return target


def _stream(url, out, target, progress):
    """Copy ``url`` into the open file ``out`` and return the hex MD5 of what was read."""
    from tqdm.auto import tqdm  # imported lazily: only downloads need it

    try:
        response = urllib.request.urlopen(url, timeout=_TIMEOUT)
    except urllib.error.HTTPError as err:  # the server answered, but with an error
        raise DownloadError(
            f"Downloading {url} failed: HTTP {err.code} {err.reason}. " + _manual_hint(url, target)
        ) from err
    except (urllib.error.URLError, OSError) as err:  # includes timeouts and refused connections
        reason = getattr(err, "reason", err)
        raise DownloadError(
            f"Could not reach {url} ({reason}); you seem to be offline. "
            + _manual_hint(url, target)
        ) from err

    digest = hashlib.md5()
    received = 0
    with response:
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        with tqdm(
            total=total, unit="B", unit_scale=True, unit_divisor=1024,
            desc=target.name, disable=not progress,
        ) as bar:  # fmt: skip
            while True:
                try:
                    chunk = response.read(_CHUNK)
                except (OSError, socket.timeout, http.client.HTTPException) as err:
                    raise DownloadError(
                        f"The download of {url} was interrupted ({err}); you may have gone "
                        f"offline. " + _manual_hint(url, target)
                    ) from err
                if not chunk:
                    break
                out.write(chunk)
                digest.update(chunk)
                received += len(chunk)
                bar.update(len(chunk))
    if total is not None and received != total:
        raise DownloadError(
            f"The download of {url} stopped after {received} of {total} bytes. "
            + _manual_hint(url, target)
        )
    return digest.hexdigest()


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickler that only rebuilds numpy arrays, lists, dicts, strings and numbers.

    Pickles can run arbitrary code when loaded; the CIFAR-10 batches need nothing beyond
    numpy's array reconstruction, so everything else is refused.
    """

    _ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.numeric", "_frombuffer"),
        ("numpy._core.numeric", "_frombuffer"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("_codecs", "encode"),  # how protocol-2 pickles from Python 3 store bytes
    }

    def find_class(self, module, name):
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a CIFAR-10 batch")
        return super().find_class(module, name)


def _read_member(tar, name):
    try:
        f = tar.extractfile(f"{_CIFAR10_DIR}/{name}")
    except KeyError:
        raise ValueError(f"{tar.name} is not a CIFAR-10 python archive: {name} is missing") from None
    with f:
        return _ArrayUnpickler(f, encoding="bytes").load()


def _read_batch(tar, name):
    """One batch as (images (n, 32, 32, 3) uint8, labels (n,) int64)."""
    batch = _read_member(tar, name)
    data = np.asarray(batch[b"data"], dtype=np.uint8)
    labels = np.asarray(batch[b"labels"], dtype=np.int64)
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or len(labels) != len(data):
        raise ValueError(f"unexpected CIFAR-10 batch layout in {name}: data {data.shape}")
    # Each row holds the red plane, then green, then blue, each 32x32 in row-major order.
    images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return images, labels


def load_cifar10(root=None, num_val=1000, download=True, dtype=np.float32, progress=True):
    """Load CIFAR-10, downloading the archive on first use.

    CIFAR-10 (Krizhevsky 2009): 32x32 RGB images in 10 classes, 50000 training and 10000
    test images. The validation set is the last ``num_val`` images of the official training
    set. Pixel values are left in 0..255 (no mean subtraction): preprocessing is part of
    the notebooks.

    Inputs:
    - root: cache folder; None means ``$CS231N_DATA`` or ``~/.cache/cs231n_lib``
    - num_val: number of validation images, 0 <= num_val < number of training images
    - download: if True, download (and MD5-check) the archive when it is missing or corrupt;
      if False, read the archive already in ``root`` as it is
    - dtype: dtype of the images, e.g. np.float32 (0.74 GB in all) or np.uint8 (0.18 GB)
    - progress: show a download progress bar

    Returns a dict:
    - 'X_train': (50000 - num_val, 32, 32, 3) images, channels last in R, G, B order
    - 'y_train': (50000 - num_val,) int64 labels in 0..9
    - 'X_val': (num_val, 32, 32, 3), 'y_val': (num_val,)
    - 'X_test': (10000, 32, 32, 3), 'y_test': (10000,)
    - 'class_names': list of the 10 class names, class_names[label]
    """
    if isinstance(num_val, bool) or not isinstance(num_val, (int, np.integer)) or num_val < 0:
        raise ValueError(f"num_val must be a non-negative integer, got {num_val!r}")

    if download:
        # Module globals are looked up at call time, so they can be redirected (e.g. to a mirror).
        path = download_cifar10(root, url=CIFAR10_URL, md5=CIFAR10_MD5, progress=progress)
    else:
        path = _root_dir(root) / _archive_name(CIFAR10_URL)
        if not path.is_file():
            raise FileNotFoundError(
                f"CIFAR-10 archive not found at {path}. Call load_cifar10(download=True), or "
                + _manual_hint(CIFAR10_URL, path)
            )

    with tarfile.open(path, "r:gz") as tar:
        parts = [_read_batch(tar, f"data_batch_{i}") for i in range(1, 6)]
        X_test, y_test = _read_batch(tar, "test_batch")
        meta = _read_member(tar, "batches.meta")
    X = np.concatenate([images for images, _ in parts])
    y = np.concatenate([labels for _, labels in parts])
    class_names = [
        name.decode("utf-8") if isinstance(name, bytes) else str(name)
        for name in meta[b"label_names"]
    ]

    if num_val >= len(y):
        raise ValueError(f"num_val must be smaller than the {len(y)} training images, got {num_val}")
    cut = len(y) - num_val
    # astype copies, so the uint8 arrays can be freed and the returned ones are contiguous.
    return {
        "X_train": X[:cut].astype(dtype),
        "y_train": y[:cut],
        "X_val": X[cut:].astype(dtype),
        "y_val": y[cut:],
        "X_test": X_test.astype(dtype),
        "y_test": y_test,
        "class_names": class_names,
    }
