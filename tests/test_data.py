"""Tests for cs231n_lib.data: MNIST-1D generation and the CIFAR-10 downloader/loader.

The CIFAR-10 tests never touch the internet: they build a tiny archive in the official
format and serve it from a local HTTP server.
"""

import hashlib
import http.server
import io
import pickle
import socket
import tarfile
import threading

import numpy as np
import pytest

from cs231n_lib import data

# ---------------------------------------------------------------------------------------
# MNIST-1D
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def official():
    """The dataset built by the reference package (which reseeds numpy's global RNG)."""
    mnist1d_data = pytest.importorskip("mnist1d.data")
    saved = np.random.get_state()
    try:
        return mnist1d_data.make_dataset(mnist1d_data.get_dataset_args())
    finally:
        np.random.set_state(saved)


@pytest.fixture(scope="module")
def ours():
    return data.make_mnist1d()


def test_make_mnist1d_equals_official_dataset(ours, official):
    np.testing.assert_array_equal(ours["y"], official["y"])
    np.testing.assert_array_equal(ours["y_test"], official["y_test"])
    for key in ("x", "x_test", "t"):
        assert ours[key].shape == official[key].shape, key
        assert np.allclose(ours[key], official[key], rtol=0, atol=1e-10), key


def test_make_mnist1d_format(ours):
    assert ours["x"].shape == (4000, 40) and ours["x"].dtype == np.float64
    assert ours["x_test"].shape == (1000, 40) and ours["x_test"].dtype == np.float64
    assert ours["y"].shape == (4000,) and ours["y"].dtype == np.int64
    assert ours["y_test"].shape == (1000,) and ours["y_test"].dtype == np.int64
    assert ours["t"].shape == (40,)
    # Standardised over the whole set, train and test together.
    everything = np.concatenate([ours["x"], ours["x_test"]])
    assert abs(everything.mean()) < 1e-12
    assert abs(everything.std() - 1) < 1e-12
    # 500 signals per class in total, and the shuffle spreads every class over both splits.
    labels = np.concatenate([ours["y"], ours["y_test"]])
    np.testing.assert_array_equal(np.bincount(labels, minlength=10), np.full(10, 500))
    assert set(np.unique(ours["y_test"])) == set(range(10))


def test_make_mnist1d_leaves_global_random_state_alone():
    np.random.seed(123)
    before = np.random.get_state()
    data.make_mnist1d(seed=7, num_samples=50)
    after = np.random.get_state()
    assert before[0] == after[0]
    np.testing.assert_array_equal(before[1], after[1])
    assert before[2:] == after[2:]


def test_make_mnist1d_small_and_seeded():
    a = data.make_mnist1d(seed=1, num_samples=100)
    b = data.make_mnist1d(seed=1, num_samples=100)
    c = data.make_mnist1d(seed=2, num_samples=100)
    assert a["x"].shape == (80, 40) and a["x_test"].shape == (20, 40)
    np.testing.assert_array_equal(np.bincount(np.concatenate([a["y"], a["y_test"]])), np.full(10, 10))
    np.testing.assert_array_equal(a["x"], b["x"])
    assert not np.allclose(a["x"], c["x"])
    with pytest.raises(ValueError, match="num_samples"):
        data.make_mnist1d(num_samples=5)
    with pytest.raises(ValueError, match="num_samples"):
        data.make_mnist1d(num_samples=100.0)


def test_load_mnist1d_split(ours):
    d = data.load_mnist1d(num_val=500)
    assert d["X_train"].shape == (3500, 40) and d["X_train"].dtype == np.float64
    assert d["X_val"].shape == (500, 40) and d["X_test"].shape == (1000, 40)
    for key in ("y_train", "y_val", "y_test"):
        assert d[key].dtype == np.int64 and d[key].shape == (len(d["X" + key[1:]]),)
        assert set(np.unique(d[key])) == set(range(10)), key
    # Validation is the tail of the official training split; test is the official test set.
    np.testing.assert_array_equal(d["X_train"], ours["x"][:3500])
    np.testing.assert_array_equal(d["X_val"], ours["x"][3500:])
    np.testing.assert_array_equal(d["y_val"], ours["y"][3500:])
    np.testing.assert_array_equal(d["X_test"], ours["x_test"])
    np.testing.assert_array_equal(d["y_test"], ours["y_test"])
    # Roughly balanced training set (the exact counts come from the shuffle).
    counts = np.bincount(d["y_train"], minlength=10)
    assert counts.min() > 300 and counts.max() < 400


def test_load_mnist1d_deterministic_and_num_val():
    a = data.load_mnist1d(num_val=100)
    b = data.load_mnist1d(num_val=100)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    assert a["X_train"].shape == (3900, 40) and a["X_val"].shape == (100, 40)
    empty = data.load_mnist1d(num_val=0)
    assert empty["X_train"].shape == (4000, 40) and empty["X_val"].shape == (0, 40)
    other = data.load_mnist1d(num_val=100, seed=0)
    assert not np.allclose(a["X_test"], other["X_test"])


@pytest.mark.parametrize("bad", [-1, 4000, 10**6, 2.5, "10", True])
def test_load_mnist1d_rejects_bad_num_val(bad):
    with pytest.raises(ValueError, match="num_val"):
        data.load_mnist1d(num_val=bad)


def test_data_module_is_not_student_work():
    source = open(data.__file__, encoding="utf-8").read()
    assert "BEGIN SOLUTION" not in source
    assert "import scipy" not in source and "from scipy" not in source


# ---------------------------------------------------------------------------------------
# CIFAR-10 on a tiny archive in the official format
# ---------------------------------------------------------------------------------------

PER_BATCH = 2  # images per data batch; the test batch also has 2
KNOWN_PIXEL = (3, 5)  # (row, col) of the pixel with known colour in the first image
KNOWN_RGB = (10, 200, 77)


def _fake_batch(batch_ix):
    """A batch dict like the official pickles: bytes keys, (n, 3072) uint8 data, list labels.

    Pixel (0, 0) of each image holds a marker R = 10 * batch_ix + image_ix so tests can tell
    the images apart and check their order.
    """
    rows = np.zeros((PER_BATCH, 3072), dtype=np.uint8)
    for i in range(PER_BATCH):
        rows[i, 0] = 10 * batch_ix + i  # red plane, pixel (0, 0)
        rows[i, 1024] = 1  # green plane, pixel (0, 0)
        rows[i, 2048] = 2  # blue plane, pixel (0, 0)
    if batch_ix == 1:
        r, c = KNOWN_PIXEL
        for channel, value in enumerate(KNOWN_RGB):
            rows[0, channel * 1024 + r * 32 + c] = value
    labels = [(PER_BATCH * batch_ix + i) % 10 for i in range(PER_BATCH)]
    return {b"batch_label": b"fake", b"labels": labels, b"data": rows, b"filenames": [b"a.png"] * PER_BATCH}


def _build_archive():
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        members = {f"data_batch_{i}": _fake_batch(i) for i in range(1, 6)}
        members["test_batch"] = _fake_batch(9)
        members["batches.meta"] = {
            b"label_names": [n.encode() for n in data.CIFAR10_CLASS_NAMES],
            b"num_cases_per_batch": PER_BATCH,
            b"num_vis": 3072,
        }
        for name, obj in members.items():
            payload = pickle.dumps(obj, protocol=2)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    return buf.getvalue()


@pytest.fixture(scope="module")
def archive():
    payload = _build_archive()
    return payload, hashlib.md5(payload).hexdigest()


@pytest.fixture
def server(archive):
    """Serve the archive at http://127.0.0.1:PORT/cifar-10-python.tar.gz; count the GETs."""
    payload, _ = archive
    requests = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            if self.path == "/truncated/cifar-10-python.tar.gz":
                # Promise more bytes than are sent, as a dropped connection would.
                self.send_response(200)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload[:100])
                return
            if self.path != "/cifar-10-python.tar.gz":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):  # keep pytest output clean
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/cifar-10-python.tar.gz"
    yield url, requests
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def _closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_download_verifies_and_reuses_cache(tmp_path, server, archive):
    url, requests = server
    payload, md5 = archive
    path = data.download_cifar10(root=tmp_path, url=url, md5=md5, progress=False)
    assert path == tmp_path / "cifar-10-python.tar.gz"
    assert path.read_bytes() == payload
    assert len(requests) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no .part left over

    again = data.download_cifar10(root=tmp_path, url=url, md5=md5, progress=False)
    assert again == path and len(requests) == 1  # served from the cache

    # A corrupt cached copy is replaced by a fresh, verified one.
    path.write_bytes(b"truncated")
    data.download_cifar10(root=tmp_path, url=url, md5=md5, progress=False)
    assert len(requests) == 2 and path.read_bytes() == payload


def test_download_with_progress_bar_and_env_root(tmp_path, server, archive, monkeypatch):
    url, requests = server
    payload, md5 = archive
    monkeypatch.setenv("CS231N_DATA", str(tmp_path / "cache"))
    path = data.download_cifar10(url=url, md5=md5, progress=True)
    assert path == tmp_path / "cache" / "cifar-10-python.tar.gz"
    assert path.read_bytes() == payload and len(requests) == 1


def test_download_md5_mismatch(tmp_path, server, archive):
    url, _ = server
    _, md5 = archive
    wrong = "0" * 32
    with pytest.raises(data.ChecksumError) as info:
        data.download_cifar10(root=tmp_path, url=url, md5=wrong, progress=False)
    message = str(info.value)
    assert wrong in message and md5 in message  # expected vs got
    assert list(tmp_path.iterdir()) == []  # neither the archive nor a .part file


def test_download_http_error_leaves_nothing(tmp_path, server):
    url, _ = server
    with pytest.raises(data.DownloadError, match="404"):
        data.download_cifar10(root=tmp_path, url=url.replace("cifar-10", "missing"), progress=False)
    assert list(tmp_path.iterdir()) == []


def test_download_interrupted_leaves_nothing(tmp_path, server, archive):
    url, _ = server
    payload, md5 = archive
    truncated = url.replace("/cifar-10-python", "/truncated/cifar-10-python")
    with pytest.raises(data.DownloadError, match=f"stopped after 100 of {len(payload)} bytes"):
        data.download_cifar10(root=tmp_path, url=truncated, md5=md5, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_download_offline(tmp_path):
    url = f"http://127.0.0.1:{_closed_port()}/cifar-10-python.tar.gz"
    with pytest.raises(data.DownloadError) as info:
        data.download_cifar10(root=tmp_path, url=url, progress=False)
    message = str(info.value)
    assert "seem to be offline" in message
    assert str(tmp_path / "cifar-10-python.tar.gz") in message  # where to put it by hand
    assert list(tmp_path.iterdir()) == []


def test_download_file_url(tmp_path, archive):
    payload, md5 = archive
    source = tmp_path / "mirror" / "cifar-10-python.tar.gz"
    source.parent.mkdir()
    source.write_bytes(payload)
    path = data.download_cifar10(root=tmp_path / "cache", url=source.as_uri(), md5=md5, progress=False)
    assert path.read_bytes() == payload


def test_load_cifar10(tmp_path, server, archive, monkeypatch):
    url, requests = server
    _, md5 = archive
    monkeypatch.setattr(data, "CIFAR10_URL", url)
    monkeypatch.setattr(data, "CIFAR10_MD5", md5)
    d = data.load_cifar10(root=tmp_path, num_val=3, progress=False)
    assert len(requests) == 1

    assert d["X_train"].shape == (7, 32, 32, 3) and d["X_train"].dtype == np.float32
    assert d["X_val"].shape == (3, 32, 32, 3) and d["X_test"].shape == (2, 32, 32, 3)
    for key in ("y_train", "y_val", "y_test"):
        assert d[key].dtype == np.int64
    assert d["class_names"] == data.CIFAR10_CLASS_NAMES

    # Channel order and pixel position: the known pixel comes out as (R, G, B).
    r, c = KNOWN_PIXEL
    np.testing.assert_array_equal(d["X_train"][0, r, c], KNOWN_RGB)
    np.testing.assert_array_equal(d["X_train"][0, 0, 0], [10, 1, 2])
    assert d["X_train"][0].sum() == 10 + 1 + 2 + sum(KNOWN_RGB)  # nothing else is lit

    # Batches in order 1..5, validation = tail of the training images, test batch separate.
    markers = [10 * b + i for b in range(1, 6) for i in range(PER_BATCH)]
    np.testing.assert_array_equal(d["X_train"][:, 0, 0, 0], markers[:7])
    np.testing.assert_array_equal(d["X_val"][:, 0, 0, 0], markers[7:])
    np.testing.assert_array_equal(d["X_test"][:, 0, 0, 0], [90, 91])
    labels = [(PER_BATCH * b + i) % 10 for b in range(1, 6) for i in range(PER_BATCH)]
    np.testing.assert_array_equal(np.concatenate([d["y_train"], d["y_val"]]), labels)
    np.testing.assert_array_equal(d["y_test"], [8, 9])

    # Reading again with download=False uses the cached archive; dtype is honoured.
    raw = data.load_cifar10(root=tmp_path, num_val=0, download=False, dtype=np.uint8)
    assert len(requests) == 1
    assert raw["X_train"].dtype == np.uint8 and raw["X_train"].shape == (10, 32, 32, 3)
    assert raw["X_val"].shape == (0, 32, 32, 3)

    with pytest.raises(ValueError, match="num_val"):
        data.load_cifar10(root=tmp_path, num_val=10, download=False)
    with pytest.raises(ValueError, match="num_val"):
        data.load_cifar10(root=tmp_path, num_val=-1, download=False)


def test_load_cifar10_without_archive(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        data.load_cifar10(root=tmp_path, download=False)
    assert str(tmp_path / "cifar-10-python.tar.gz") in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_load_cifar10_refuses_foreign_pickles(tmp_path):
    # A pickle that would call os.system when loaded must be rejected, not executed.
    class Evil:
        def __reduce__(self):
            import os

            return (os.system, ("echo pwned",))

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        payload = pickle.dumps({b"data": Evil(), b"labels": []}, protocol=2)
        info = tarfile.TarInfo("cifar-10-batches-py/data_batch_1")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    (tmp_path / "cifar-10-python.tar.gz").write_bytes(buf.getvalue())
    with pytest.raises(pickle.UnpicklingError, match="system"):
        data.load_cifar10(root=tmp_path, download=False)
