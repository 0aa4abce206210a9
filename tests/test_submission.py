"""The submission layout: written, read back, and every hostile zip or folder refused or cleaned."""

import io
import json
import os
import shutil
import stat
import time
import zipfile

import pytest

from conftest import ROOT, STUB_LIB
from autograder.course import submission as sub

A = "01_activations"
NOTEBOOK = ROOT / "assignments" / A / f"{A}.ipynb"


def make_zip(path, entries):
    """A zip with ``entries``: [(name, bytes)] or [(ZipInfo, bytes)]."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            zf.writestr(name, data)
    return path


def valid_entries(prefix=""):
    entries = [(f"{prefix}{A}.ipynb", NOTEBOOK.read_bytes())]
    entries += [(f"{prefix}cs231n_lib/{p.name}", p.read_bytes()) for p in sorted(STUB_LIB.glob("*.py"))]
    return entries


@pytest.fixture
def student_tree(tmp_path):
    """A student's working tree laid out as the kit is: assignments/A/A.ipynb and cs231n_lib/."""
    (tmp_path / "assignments" / A).mkdir(parents=True)
    shutil.copy(NOTEBOOK, tmp_path / "assignments" / A)
    shutil.copytree(STUB_LIB, tmp_path / "cs231n_lib", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "cs231n_lib" / "__pycache__").mkdir(exist_ok=True)
    (tmp_path / "cs231n_lib" / "__pycache__" / "layers.cpython-311.pyc").write_bytes(b"\0" * 10)
    (tmp_path / "cs231n_lib" / "notes.txt").write_text("mine")
    return tmp_path


def test_written_zip_has_the_layout_and_reads_back_the_same(student_tree, tmp_path):
    s = sub.collect(A, student_tree / "assignments" / A / f"{A}.ipynb", student_tree / "cs231n_lib")
    path = sub.write(s, tmp_path / "out" / sub.zip_name(A))
    assert path.name == "01_activations.zip"
    names = zipfile.ZipFile(path).namelist()
    assert names[0] == "01_activations.ipynb"
    assert sorted(names[1:]) == sorted(f"cs231n_lib/{p.name}" for p in STUB_LIB.glob("*.py"))
    assert any("notes.txt" in n and "only .py" in n for n in s.notes)
    back = sub.read(path)
    assert back.assignment == A and back.notebook == NOTEBOOK.read_bytes()
    assert back.library == {p.name: p.read_bytes() for p in STUB_LIB.glob("*.py")}
    assert sub.write(back, tmp_path / "again.zip").read_bytes() == path.read_bytes()  # deterministic
    folder = sub.extract(back, tmp_path / "submitted" / "alice" / A)
    assert sub.read(folder, A).library == back.library
    with pytest.raises(FileExistsError):
        sub.extract(back, folder)


def test_a_zip_of_the_folder_and_mac_junk_are_tolerated_with_notes(tmp_path):
    entries = valid_entries(f"{A}/") + [("__MACOSX/01_activations/._x", b"junk"), (f"{A}/.DS_Store", b"junk"),
                                        (f"{A}/cs231n_lib/__pycache__/layers.pyc", b"\0"), (f"{A}/report.pdf", b"%PDF")]
    s = sub.read(make_zip(tmp_path / "student_123_late.zip", entries))
    assert s.assignment == A and "layers.py" in s.library and "__pycache__/layers.pyc" not in s.library
    assert any("folder 01_activations/" in n for n in s.notes) and any("report.pdf" in n for n in s.notes)


@pytest.mark.parametrize("entries, says", [
    ([("../evil.py", b"x")], "unsafe name"),
    ([("/etc/passwd", b"x")], "unsafe name"),
    ([("cs231n_lib\\..\\x.py", b"x")], "unsafe name"),
    ([("C:/x.py", b"x")], "unsafe name"),
    ([(f"{A}.ipynb", b"{}")], "not a Jupyter notebook"),
    ([(f"{A}.ipynb", b"\xff\xfe not json")], "not valid JSON"),
    ([("cs231n_lib/__init__.py", b"")], "no notebook named like"),
    ([(f"{A}.ipynb", b"{}"), ("02_preprocessing.ipynb", b"{}")], "several notebooks"),
    (valid_entries()[:1], "no cs231n_lib/__init__.py"),
    (valid_entries() + [("cs231n_lib/LAYERS.py", b"")], "twice"),
])
def test_bad_zips_are_refused_with_a_reason(tmp_path, entries, says):
    with pytest.raises(sub.SubmissionError, match=says):
        sub.read(make_zip(tmp_path / "s.zip", entries))


def test_the_assignment_asked_for_must_be_the_one_submitted(tmp_path):
    path = make_zip(tmp_path / "s.zip", valid_entries())
    with pytest.raises(sub.SubmissionError, match="no 02_preprocessing.ipynb"):
        sub.read(path, "02_preprocessing")
    for bad in ["../01", "1_x", "01_a/b", ""]:
        with pytest.raises(sub.SubmissionError, match="not an assignment id"):
            sub.read(path, bad)


def test_not_a_zip_and_missing_paths_are_refused(tmp_path):
    (tmp_path / "s.zip").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(sub.SubmissionError, match="not a readable zip"):
        sub.read(tmp_path / "s.zip")
    with pytest.raises(sub.SubmissionError, match="no submission at"):
        sub.read(tmp_path / "nothing.zip")


def test_a_zip_bomb_is_stopped_while_inflating_whatever_sizes_it_declares(tmp_path, monkeypatch):
    monkeypatch.setitem(sub.LIMITS, "library_bytes", 1 << 20)
    bomb = b"\0" * (8 << 20)  # 8 MB of zeros compress to about 8 KB
    path = make_zip(tmp_path / "s.zip", valid_entries() + [("cs231n_lib/bomb.py", bomb)])
    with pytest.raises(sub.SubmissionError, match="exceed 1 MB"):
        sub.read(path)
    raw = bytearray(path.read_bytes())  # lie about the size in both headers
    for header, offset in [(b"PK\x03\x04", 22), (b"PK\x01\x02", 24)]:
        at = raw.rfind(header)
        while at >= 0:
            name_len = int.from_bytes(raw[at + (26 if header == b"PK\x03\x04" else 28):][:2], "little")
            name = raw[at + (30 if header == b"PK\x03\x04" else 46):][:name_len]
            if name == b"cs231n_lib/bomb.py":
                raw[at + offset:at + offset + 4] = (100).to_bytes(4, "little")
            at = raw.rfind(header, 0, at)
    path.write_bytes(bytes(raw))
    start = time.process_time()
    with pytest.raises(sub.SubmissionError, match="exceed 1 MB|cannot read"):
        sub.read(path)
    assert time.process_time() - start < 2


def test_too_many_entries_are_refused_before_reading(tmp_path, monkeypatch):
    monkeypatch.setitem(sub.LIMITS, "zip_entries", 50)
    path = make_zip(tmp_path / "s.zip", valid_entries() + [(f"cs231n_lib/m{i}.py", b"") for i in range(60)])
    with pytest.raises(sub.SubmissionError, match="more than 50 entries"):
        sub.read(path)


def test_symlink_and_encrypted_entries(tmp_path):
    path = tmp_path / "s.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in valid_entries():
            zf.writestr(name, data)
        link = zipfile.ZipInfo("cs231n_lib/secret.py")
        link.create_system = 3
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "../../solutions/cs231n_lib/layers.py")
    s = sub.read(path)
    assert "secret.py" not in s.library and any("secret.py: a symbolic link" in n for n in s.notes)

    raw = bytearray(make_zip(tmp_path / "e.zip", valid_entries()).read_bytes())
    at = raw.find(b"PK\x01\x02")  # mark the first entry encrypted in the central directory
    raw[at + 8] |= 0x1
    (tmp_path / "e.zip").write_bytes(bytes(raw))
    with pytest.raises(sub.SubmissionError, match="encrypted"):
        sub.read(tmp_path / "e.zip")


def test_folders_leave_out_links_and_special_files_and_never_block(student_tree, tmp_path):
    folder = tmp_path / "submitted" / "bob" / A
    folder.mkdir(parents=True)
    shutil.copy(NOTEBOOK, folder)
    shutil.copytree(student_tree / "cs231n_lib", folder / "cs231n_lib")
    (folder / "cs231n_lib" / "stolen.py").symlink_to(ROOT / "solutions" / "cs231n_lib" / "layers.py")
    (folder / "cs231n_lib" / "linked").symlink_to(ROOT / "solutions" / "cs231n_lib", target_is_directory=True)
    os.mkfifo(folder / "cs231n_lib" / "pipe.py")
    s = sub.read(folder)
    assert s.assignment == A
    assert not {"stolen.py", "pipe.py"} & set(s.library) and not any(k.startswith("linked") for k in s.library)
    assert sum("symbolic link" in n for n in s.notes) == 2 and any("pipe.py: not a regular file" in n for n in s.notes)

    (tmp_path / "lib-link").symlink_to(folder / "cs231n_lib")
    with pytest.raises(sub.SubmissionError, match="symbolic link"):
        sub.collect(A, folder / f"{A}.ipynb", tmp_path / "lib-link")
    (folder / f"{A}.ipynb").unlink()
    (folder / f"{A}.ipynb").symlink_to(NOTEBOOK)
    with pytest.raises(sub.SubmissionError, match="symbolic link"):
        sub.read(folder)


def test_a_notebook_over_the_limit_is_refused_with_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setitem(sub.LIMITS, "notebook_bytes", 1000)
    nb = json.dumps({"nbformat": 4, "cells": [], "pad": "x" * 2000}).encode()
    with pytest.raises(sub.SubmissionError, match="Clear Outputs"):
        sub.read(make_zip(tmp_path / "s.zip", [(f"{A}.ipynb", nb), ("cs231n_lib/__init__.py", b"")]))


def test_extract_writes_only_safe_names(tmp_path):
    s = sub.Submission(A, NOTEBOOK.read_bytes(), {"__init__.py": b"", "../../evil.py": b"x"})
    with pytest.raises(sub.SubmissionError, match="unsafe"):
        sub.extract(s, tmp_path / "x")
    assert not (tmp_path / "evil.py").exists()
