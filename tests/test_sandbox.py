"""The trust boundary: student code runs in a worker; whatever it does costs only the
points of the checks it touches, each with a clear message, and the grader survives."""


import struct
import sys

import numpy as np
import pytest

from conftest import REFERENCE_LIB, SEED, failed, full_output, lib_with
from autograder import grading
from autograder.sandbox import codec


def grade_01(lib, **kw):
    return grading.grade(lib, assignments=["01"], **{"seed": SEED, **kw})


def output_of(results, name):
    return next(t["output"] for t in results["tests"] if t["name"] == name)


SIGMOID_CHECKS = {"sigmoid_forward", "sigmoid_backward", "sigmoid_hidden"}


@pytest.mark.parametrize("body, says", [
    ("    while True:\n        pass", "did not finish within 1 s"),
    ("    import sys\n    sys.exit(3)", "called sys.exit(3)"),
    ("    import os\n    os._exit(7)", "exited with code 7"),
    ("    import ctypes\n    ctypes.string_at(0)", "killed by signal"),
    ("    return np.ones(10**12), None", "MemoryError"),
    ("    raise ZeroDivisionError('oops')", "raised ZeroDivisionError: oops (at activations.py:"),
    ("    return 'a string', None", "should be an array but is str"),
    ("    return np.ones(3)", "should return a tuple of 2 values"),
])
def test_misbehaving_code_costs_only_its_own_checks(tmp_path, body, says):
    lib = lib_with(tmp_path, "activations", f"def sigmoid_forward(x):\n{body}")
    results = grade_01(lib, timeout=1)
    assert failed(results) == SIGMOID_CHECKS
    assert says in output_of(results, "sigmoid_forward")


def test_a_syntax_error_fails_only_its_module_and_names_the_line(tmp_path):
    lib = lib_with(tmp_path, "activations", "def broken(:\n    pass")
    results = grading.grade(lib, seed=SEED)
    assert {t["name"] for t in results["tests"] if t["assignment"] == "00_gradients"} - failed(results) != set()
    # Outside 01, only checks that build the student's network (which imports activations.py) may fail,
    # and they name the syntax error too.
    assert all(t["assignment"] == "01_activations" or ("SyntaxError" in full_output(t) and "activations.py:" in full_output(t))
               for t in results["tests"] if t["score"] == 0)
    assert "SyntaxError" in output_of(results, "tanh_forward") and "activations.py:" in output_of(results, "tanh_forward")


def test_missing_functions_and_modules_are_named(tmp_path):
    lib = lib_with(tmp_path, "activations", "del gelu_backward")
    assert "has no function gelu_backward" in output_of(grade_01(lib), "gelu_backward")
    (lib / "activations.py").unlink()
    assert "cs231n_lib/activations.py is missing" in output_of(grade_01(lib), "tanh_forward")


def test_a_broken_package_init_fails_everything_clearly(tmp_path):
    lib = lib_with(tmp_path, "layers", "")
    (lib / "__init__.py").write_text("raise RuntimeError('no')\n")
    results = grading.grade(lib, seed=SEED)
    assert failed(results) == {t["name"] for t in results["tests"]}
    assert "__init__.py failed to import: RuntimeError: no" in results["tests"][0]["output"]


def test_patching_numpy_in_student_code_cannot_fool_the_comparison(tmp_path):
    # In a shared kernel this passed every check; here the comparison is in another process.
    lib = lib_with(tmp_path, "activations",
                   "np.allclose = lambda *a, **k: True\nnp.max = lambda *a, **k: 0.0\n"
                   "np.abs = lambda x: np.zeros_like(x)\n"
                   "def sigmoid_forward(x):\n    return np.zeros_like(x), None")
    assert "sigmoid_forward" in failed(grade_01(lib))


def test_prints_and_stdin_do_not_disturb_the_protocol(tmp_path):
    lib = lib_with(tmp_path, "activations",
                   "print('hello at import')\nimport os, sys\n_old = sigmoid_forward\n"
                   "def sigmoid_forward(x):\n    print('noise'); os.write(1, b'raw'); sys.stdin.read()\n"
                   "    return _old(x)")
    assert failed(grade_01(lib)) == set()


def test_the_grader_never_imports_student_code(tmp_path):
    lib = lib_with(tmp_path, "activations", "")
    grade_01(lib)
    for module in list(sys.modules.values()):
        assert not str(getattr(module, "__file__", "") or "").startswith(str(tmp_path))


def test_the_codec_refuses_objects_and_forged_messages():
    with pytest.raises(TypeError):
        codec.encode(object())
    good = codec.encode({"x": np.arange(3.0)})
    header = b'{"array": 0, "scalar": false, "dtype": "|O", "shape": [1]}'
    forgeries = {
        "an object array": struct.pack("<3Q", len(header), 1, 8) + header + b"\0" * 8,
        "a shape bigger than its data": good.replace(b'"shape": [3]', b'"shape": [9]'),
        "sizes that do not add up": good + b"extra",
        "deep nesting": (lambda h: struct.pack("<2Q", len(h), 0) + h)(b'{"list": [' * 200 + b"]}" * 200),
        "an unknown node": (lambda h: struct.pack("<2Q", len(h), 0) + h)(b'{"opaque": "x"}'),
        "truncated": good[:10],
    }
    for what, forged in forgeries.items():
        with pytest.raises(codec.Malformed):
            codec.decode(forged)
            pytest.fail(f"decoded {what}")


def test_the_codec_round_trips_plain_values():
    value = {"a": (np.arange(6.0).reshape(2, 3), [1, 2.5, None, True, "s"]), "b": np.float32(2.5),
             "c": float("nan")}
    back = codec.decode(codec.encode(value))
    assert isinstance(back["a"], tuple) and np.array_equal(back["a"][0], value["a"][0])
    assert back["a"][1] == [1, 2.5, None, True, "s"] and back["b"].dtype == np.float32 and np.isnan(back["c"])


def test_a_seeded_generator_crosses_the_boundary(tmp_path):
    from autograder.sandbox import Rng
    from autograder.sandbox import Sandbox

    lib = lib_with(tmp_path, "layers", "def draw(rng, n):\n    return rng.standard_normal(n)")
    with Sandbox(lib) as sandbox:
        first, again = sandbox.call("layers.draw", Rng(5), 4), sandbox.call("layers.draw", Rng(5), 4)
    assert np.array_equal(first, again) and np.array_equal(first, np.random.default_rng(5).standard_normal(4))


def test_an_unusual_cache_stays_in_the_worker(tmp_path):
    lib = lib_with(tmp_path, "activations",
                   "_f, _b = sigmoid_forward, sigmoid_backward\n"
                   "def sigmoid_forward(x):\n    out, _ = _f(x)\n    return out, (lambda: out)\n"
                   "def sigmoid_backward(dout, cache):\n    return _b(dout, cache())")
    assert failed(grade_01(lib)) == set()


def test_grading_a_folder_that_is_not_a_library_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        grading.grade(tmp_path, seed=SEED)


@pytest.mark.parametrize("value", [2.5, 3, np.float64(2.5), np.float32(2.5), np.int64(3), np.array(2.5),
                                   np.array(2.5, dtype=np.float32), np.ones((2, 3)), np.ones(1), np.ones((0, 4)),
                                   np.bool_(True), np.arange(6, dtype=np.int32).reshape(3, 2)[:, 0]])
def test_the_codec_keeps_type_and_shape(value):
    back = codec.decode(codec.encode(value))
    assert type(back) is type(value) and np.shape(back) == np.shape(value)
    assert np.asarray(back).dtype == np.asarray(value).dtype and np.array_equal(back, value)


@pytest.mark.parametrize("loss", ["np.sum(x) / x.size", "np.mean(x)", "float(np.mean(x))", "np.array(np.mean(x))",
                                  "np.float32(np.mean(x))"])
def test_a_check_that_expects_a_number_takes_any_real_scalar(tmp_path, loss):
    from autograder.registry import scalar
    from autograder.sandbox import Sandbox

    lib = lib_with(tmp_path, "layers", f"def mean_loss(x):\n    return {loss}")
    with Sandbox(lib) as sandbox:
        got = sandbox.call("layers.mean_loss", np.array([[1.0, 2.0], [3.0, 4.5]]))
    assert scalar("loss", got) == pytest.approx(2.625)


@pytest.mark.parametrize("value, says", [(np.ones(1), "shape (1,)"), (np.ones(3), "shape (3,)"), ("2", "str"),
                                         (None, "NoneType"), (True, "bool"), (np.array(1 + 2j), "complex")])
def test_a_check_that_expects_a_number_says_what_came_instead(value, says):
    from autograder.registry import CheckFailed, scalar

    with pytest.raises(CheckFailed, match=r"loss should be a single (real )?number but is .*" + says.replace("(", r"\(").replace(")", r"\)")):
        scalar("loss", value)


def test_the_grader_sees_aliasing_and_the_objects_a_call_left(tmp_path):
    # Every array crosses the boundary as a copy, so aliasing is reported by the worker, and
    # an object kept there (a model) is read back attribute by attribute.
    from autograder.sandbox import Opaque, Sandbox

    lib = lib_with(tmp_path, "layers", "class Box:\n    def __init__(self, v):\n        self.v = v\n"
                   "def alias(a, b):\n    return {'same': a, 'view': b[1:], 'new': a + 1}\n"
                   "def zero(box):\n    box.v = 0")
    with Sandbox(lib) as sandbox:
        result, args, pairs = sandbox.call("layers.alias", np.ones(3), np.zeros(4), shared=True)
        assert pairs == {(0, 0), (1, 1)} and np.array_equal(result["new"], [2, 2, 2]) and len(args) == 2
        box = sandbox.call("layers.Box", 5.0)
        assert isinstance(box, Opaque) and sandbox.attribute(box, "v") == 5.0
        sandbox.call("layers.zero", box)
        assert sandbox.attribute(box, "v") == 0


def test_a_sandbox_closed_mid_check_leaves_the_grader_without_its_bounds():
    """The bounds on the grader's own work (a soft RLIMIT_AS, a CPU timer) last for one check:
    left behind, they were inherited by whatever the grader started next (a browser, a kernel)."""
    import resource
    import signal

    import numpy as np

    from autograder.sandbox import Sandbox

    before = resource.getrlimit(resource.RLIMIT_AS)
    with Sandbox(REFERENCE_LIB) as sandbox:
        sandbox.set_deadline(30)  # and never set_deadline(None)
        sandbox.call("activations.sigmoid_forward", np.ones(3))
        assert resource.getrlimit(resource.RLIMIT_AS) != before or before[1] != resource.RLIM_INFINITY
    assert resource.getrlimit(resource.RLIMIT_AS) == before
    assert signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0)
