"""Milliseconds per training step: our FullyConnectedNet against PyTorch on the CPU.

The network is the same on both sides: 3072-100x4-10 (CIFAR-10-sized inputs, four hidden
layers of 100, 10 classes), each hidden layer affine - batchnorm - ReLU - dropout (keep
probability 0.5), a softmax loss, and one Adam step (learning rate 1e-3) over every
parameter, on a batch of 256, in float64 and in float32. Both start from the same weights;
before timing, the script checks that both compute the same loss and gradients (with
dropout off).

Ours is one step as the Solver takes it: model.loss(X, y), then optim.adam on each
parameter. PyTorch's is zero_grad, forward, cross-entropy, backward, Adam's step (its
default CPU implementation) and loss.item(). The GEMM floor is the time of the step's
matrix products alone, in numpy: 5 forward products, 5 weight gradients and the input
gradients of layers 2 to 5 (nobody needs the gradient of the data). A step cannot be
faster than its products, so "/ floor" says how much time goes to everything else.

Everything is measured in one run with the same number of BLAS/OpenMP threads on both
sides, interleaved: each round times --steps steps of ours, of PyTorch and of the floor,
in a rotating order, after a warm-up. The table gives the median over rounds of each
round's median and, in brackets, the lowest and highest round; ratios are taken within a
round (ours and PyTorch under the same machine load), then summarised the same way. On a
machine shared with other work, use more rounds and compare the ranges.

PyTorch is optional (it is not a dependency of the course): without it, the script says
how to install it and prints our numbers and the floor only.

Examples:
    python benchmarks/training_step.py                              # 1 thread, both precisions
    python benchmarks/training_step.py --threads 2 --rounds 20
    python benchmarks/training_step.py --clock cpu --rounds 20          # on a busy machine
    python benchmarks/training_step.py --dtype float32 --profile        # where our time goes
    python benchmarks/training_step.py --lib path/to/cs231n_lib         # a student's library
"""

import argparse
import os
import pathlib
import statistics
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
REFERENCE_LIB = ROOT / "solutions" / "cs231n_lib"
TORCH_VERSION = "2.13.0"  # the version the numbers in the README were measured with

INPUT_DIM, HIDDEN, CLASSES, BATCH, KEEP, LEARNING_RATE = 3072, [100] * 4, 10, 256, 0.5, 1e-3
# Largest relative difference between ours and PyTorch's loss and gradients that still counts
# as the same computation (rounding differs: summation orders, fused kernels).
SAME_NETWORK_TOLERANCE = {"float64": 1e-10, "float32": 1e-4}
WIDTH = 19  # of a table column
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS/OpenMP threads for numpy and PyTorch alike (default 1: steadier on a "
                             "shared machine; use the number of cores to see what parallelism buys)")
    parser.add_argument("--steps", type=int, default=20, help="timed steps per side in each round (default 20)")
    parser.add_argument("--rounds", type=int, default=10, help="interleaved rounds (default 10)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps per side before the rounds (default 5)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the data, the weights and the dropout masks")
    parser.add_argument("--dtype", nargs="+", choices=["float64", "float32"], default=["float64", "float32"],
                        help="precisions to measure (default both)")
    parser.add_argument("--lib", type=pathlib.Path, default=REFERENCE_LIB,
                        help="the cs231n_lib folder to benchmark (default: the reference, solutions/cs231n_lib)")
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                        help="wall: elapsed time (default); cpu: the process's CPU time, steadier on a machine "
                             "shared with other work, and meaningful with --threads 1 only (waiting or "
                             "spinning threads would count)")
    parser.add_argument("--no-torch", action="store_true", help="measure ours and the floor only")
    parser.add_argument("--profile", action="store_true",
                        help="after the table, profile our steps with cProfile and list where the time goes")
    args = parser.parse_args(argv)
    for name in ("threads", "steps", "rounds"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if args.warmup < 0:
        parser.error("--warmup must be >= 0")
    lib = args.lib.resolve()
    if lib.name != "cs231n_lib" or not (lib / "fc_net.py").is_file():
        parser.error(f"--lib must be a cs231n_lib folder with fc_net.py in it, got {args.lib}")
    args.lib = lib
    return args


args = parse_args() if __name__ == "__main__" else None
if args is not None:
    # Before numpy (or torch) is imported, so that every BLAS and OpenMP pool starts at this
    # size; threadpoolctl below also limits the pools already loaded.
    for variable in THREAD_VARIABLES:
        os.environ[variable] = str(args.threads)

import numpy as np  # noqa: E402

try:
    import torch
except ImportError:
    torch = None
try:
    from threadpoolctl import threadpool_limits
except ImportError:
    threadpool_limits = None


def install_hint():
    return (f"PyTorch is not installed, so only our numbers are shown. To compare, install its CPU build "
            f"into this environment:\n    {sys.executable} -m pip install torch=={TORCH_VERSION}\n"
            f"(on a machine whose default PyTorch wheel is a CUDA build, ask pip for the CPU build; "
            f"PyTorch is needed for this benchmark only.)")


# ---------------------------------------------------------------- the three contestants


class Ours:
    """One Solver step of FullyConnectedNet with Adam, from the library under test."""

    def __init__(self, lib, dtype, seed, keep=KEEP):
        self.fc_net, self.optim = lib
        self.model = self.fc_net.FullyConnectedNet(
            HIDDEN, input_dim=INPUT_DIM, num_classes=CLASSES, weight_scale="he", normalization="batchnorm",
            dropout_keep_ratio=keep, dtype=dtype, seed=seed)
        self.configs = {k: {"learning_rate": LEARNING_RATE} for k in self.model.params}

    def step(self, X, y):
        loss, grads = self.model.loss(X, y)
        params = self.model.params
        for k in params:
            params[k], self.configs[k] = self.optim.adam(params[k], grads[k], self.configs[k])
        return float(loss)


class Theirs:
    """The same network and step in PyTorch, from the same initial weights."""

    def __init__(self, params, dtype, seed, keep=KEEP):
        torch.manual_seed(seed)
        tdtype = {np.float64: torch.float64, np.float32: torch.float32}[dtype]
        blocks, dims = [], [INPUT_DIM, *HIDDEN, CLASSES]
        for i in range(1, len(dims)):
            linear = torch.nn.Linear(dims[i - 1], dims[i], dtype=tdtype)
            with torch.no_grad():  # ours is x @ W, PyTorch's x @ weight.T
                linear.weight.copy_(torch.from_numpy(np.ascontiguousarray(params[f"W{i}"].T)))
                linear.bias.copy_(torch.from_numpy(params[f"b{i}"]))
            blocks.append(linear)
            if i < len(dims) - 1:
                # Our batchnorm keeps 0.9 of its running averages; PyTorch's momentum is the new share.
                blocks += [torch.nn.BatchNorm1d(dims[i], eps=1e-5, momentum=0.1, dtype=tdtype), torch.nn.ReLU()]
                if keep < 1:
                    blocks.append(torch.nn.Dropout(p=1 - keep))  # PyTorch's p is the DROP probability
        self.net = torch.nn.Sequential(*blocks).train()
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=LEARNING_RATE, betas=(0.9, 0.999), eps=1e-8)

    def step(self, X, y):
        self.optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(self.net(X), y)
        loss.backward()
        self.optimizer.step()
        return loss.item()


class Floor:
    """The step's matrix products alone: what no implementation of this step can avoid."""

    def __init__(self, dtype, seed, backend):
        rng = np.random.default_rng([seed, 99])
        dims = [INPUT_DIM, *HIDDEN, CLASSES]
        def array(*shape):
            a = rng.standard_normal(shape).astype(dtype)
            return torch.from_numpy(a) if backend == "torch" else a
        self.inputs = [array(BATCH, d) for d in dims[:-1]]  # what each layer sees
        self.weights = [array(dims[i], dims[i + 1]) for i in range(len(dims) - 1)]
        self.upstream = [array(BATCH, d) for d in dims[1:]]  # gradients arriving at each output

    def step(self, X=None, y=None):
        for x, w, d in zip(self.inputs, self.weights, self.upstream):
            x @ w  # forward
            x.T @ d  # weight gradient
        for w, d in zip(self.weights[1:], self.upstream[1:]):
            d @ w.T  # input gradient, layers 2..L only


# ---------------------------------------------------------------- checks and timing


def same_network(lib, dtype, seed, X, y):
    """Largest relative difference between ours and PyTorch's loss and gradients on one
    batch, from the same weights, with dropout off (masks are drawn differently)."""
    ours = Ours(lib, dtype, seed, keep=1.0)
    theirs = Theirs(ours.model.params, dtype, seed, keep=1.0)
    loss, grads = ours.model.loss(X, y)
    out = torch.nn.functional.cross_entropy(theirs.net(torch.from_numpy(X)), torch.from_numpy(y))
    out.backward()
    pairs = []  # (ours, theirs) for every parameter
    linears = [m for m in theirs.net if isinstance(m, torch.nn.Linear)]
    norms = [m for m in theirs.net if isinstance(m, torch.nn.BatchNorm1d)]
    for i, linear in enumerate(linears, start=1):
        pairs += [(grads[f"W{i}"], linear.weight.grad.numpy().T), (grads[f"b{i}"], linear.bias.grad.numpy())]
    for i, norm in enumerate(norms, start=1):
        pairs += [(grads[f"gamma{i}"], norm.weight.grad.numpy()), (grads[f"beta{i}"], norm.bias.grad.numpy())]
    # Over all gradients at once: the biases before a batchnorm have a gradient of exactly 0
    # in theory, rounding noise of 1e-17 in practice, which alone would look 100% different.
    diff = np.sqrt(sum(np.sum((a - b) ** 2) for a, b in pairs))
    size = np.sqrt(sum(np.sum(b**2) for _, b in pairs))
    return max(abs(loss - out.item()) / abs(out.item()), float(diff / size))


def time_steps(step, X, y, steps, clock=time.perf_counter):
    """Seconds per step of each of `steps` calls."""
    times = []
    for _ in range(steps):
        start = clock()
        step(X, y)
        times.append(clock() - start)
    return times


def measure(lib, dtype, args):
    rng = np.random.default_rng(args.seed)
    X = rng.standard_normal((BATCH, INPUT_DIM)).astype(dtype)
    y = rng.integers(CLASSES, size=BATCH)
    ours = Ours(lib, dtype, args.seed)
    contestants = {"ours": (ours.step, X, y), "floor": (Floor(dtype, args.seed, "numpy").step, None, None)}
    mismatch = None
    if torch is not None:
        theirs = Theirs(ours.model.params, dtype, args.seed)
        contestants["pytorch"] = (theirs.step, torch.from_numpy(X), torch.from_numpy(y))
        contestants["torch floor"] = (Floor(dtype, args.seed, "torch").step, None, None)
        mismatch = same_network(lib, dtype, args.seed, X, y)
    names = list(contestants)
    for step, Xs, ys in contestants.values():
        time_steps(step, Xs, ys, args.warmup)
    rounds = {name: [] for name in names}  # the median of each round, in seconds
    for r in range(args.rounds):
        order = names[r % len(names):] + names[:r % len(names)]  # nobody always goes first
        for name in order:
            step, Xs, ys = contestants[name]
            rounds[name].append(statistics.median(time_steps(step, Xs, ys, args.steps, CLOCKS[args.clock])))
    return rounds, mismatch


def summary(values):
    """(median, lowest, highest)."""
    return statistics.median(values), min(values), max(values)


def fmt(values, scale=1.0, digits=2):
    mid, low, high = (scale * v for v in summary(values))
    return f"{mid:.{digits}f} [{low:.{digits}f}-{high:.{digits}f}]"


def ratios(a, b):
    return [x / y for x, y in zip(a, b)]


def report(results, args):
    print(f"FullyConnectedNet {INPUT_DIM}-{HIDDEN[0]}x{len(HIDDEN)}-{CLASSES}, batch {BATCH}, batchnorm + ReLU + "
          f"dropout (keep {KEEP}) + Adam; {args.threads} thread(s); {args.rounds} rounds x {args.steps} steps")
    print(f"library: {args.lib}")
    if torch is not None:
        print(f"PyTorch {torch.__version__}, numpy {np.__version__}")
    print(f"ms per step ({args.clock} clock): median of the round medians [lowest-highest round]\n")
    header = f"{'dtype':<8}" + "".join(f"  {h:>{WIDTH}}" for h in (
        "ours ms", "PyTorch ms", "ours / PyTorch", "ours / floor", "PyTorch / floor", "floor ms (numpy)",
        "floor ms (torch)"))
    print(header)
    worst = 0.0
    for dtype, (rounds, _) in results.items():
        ours, floor = rounds["ours"], rounds["floor"]
        cells = [fmt(ours, 1e3)]
        if "pytorch" in rounds:
            theirs = rounds["pytorch"]
            worst = max(worst, summary(ratios(ours, theirs))[0])
            cells += [fmt(theirs, 1e3), fmt(ratios(ours, theirs)), fmt(ratios(ours, floor)),
                      fmt(ratios(theirs, floor)), fmt(floor, 1e3), fmt(rounds["torch floor"], 1e3)]
        else:
            cells += ["-", "-", fmt(ratios(ours, floor)), "-", fmt(floor, 1e3), "-"]
        print(f"{dtype:<8}" + "".join(f"  {c:>{WIDTH}}" for c in cells))
    print()
    different = []
    for dtype, (_, mismatch) in results.items():
        if mismatch is not None:
            print(f"same network, {dtype}: ours and PyTorch's loss and gradients agree to {mismatch:.1e} "
                  f"(relative, one batch, dropout off)")
            if mismatch > SAME_NETWORK_TOLERANCE[dtype]:
                different.append(dtype)
    if torch is None:
        print(install_hint())
    else:
        verdict = "met" if worst <= 1.0 else "NOT met"
        print(f"target ours / PyTorch <= 1.0 in every precision: {verdict} (worst median {worst:.2f})")
    if different:
        print(f"error: in {', '.join(different)} the two networks compute different things, so the times "
              f"do not compare the same work", file=sys.stderr)
    return not different


def profile(lib, dtype, args):
    import cProfile
    import pstats

    rng = np.random.default_rng(args.seed)
    X = rng.standard_normal((BATCH, INPUT_DIM)).astype(dtype)
    y = rng.integers(CLASSES, size=BATCH)
    ours = Ours(lib, dtype, args.seed)
    time_steps(ours.step, X, y, args.warmup)
    profiler = cProfile.Profile()
    profiler.runcall(time_steps, ours.step, X, y, args.steps * args.rounds)
    print(f"\nwhere our {dtype} step's time goes ({args.steps * args.rounds} steps, cProfile, by own time):")
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(15)


def load_library(path):
    sys.path.insert(0, str(path.parent))
    from cs231n_lib import fc_net, optim

    if pathlib.Path(fc_net.__file__).resolve().parent != path:
        sys.exit(f"imported cs231n_lib from {pathlib.Path(fc_net.__file__).parent}, not {path}")
    return fc_net, optim


def main(args):
    global torch
    if args.no_torch:
        torch = None
    elif torch is not None:
        torch.set_num_threads(args.threads)
    if torch is None and not args.no_torch:
        print("PyTorch not found: measuring ours only (how to install it follows the table)", file=sys.stderr)
    lib = load_library(args.lib)
    limits = threadpool_limits(limits=args.threads) if threadpool_limits is not None else None
    try:
        results = {}
        for name in args.dtype:
            dtype = {"float64": np.float64, "float32": np.float32}[name]
            print(f"measuring {name} ...", file=sys.stderr, flush=True)
            results[name] = measure(lib, dtype, args)
        same = report(results, args)
        if args.profile:
            for name in args.dtype:
                profile(lib, {"float64": np.float64, "float32": np.float32}[name], args)
    finally:
        if limits is not None:
            limits.restore_original_limits()
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main(args))
