"""The promise with hidden state outside the namespace (spec version 2.1,
"Hidden state as resources"), as properties: the global generators of
``random`` and ``numpy.random``, and files named by literal paths.

The machine of tests/test_effect_properties.py with other code families:
seeding and drawing from the global generators, a seeded ``default_rng``,
writing, appending, reading and deleting files (``open``, ``Path``,
``DataFrame.to_csv`` / ``pd.read_csv``), and both inside a notebook
function or a notebook class's method.  Each example runs in its own
temporary directory (the process's working directory while it runs); the
fresh Run All it is compared with runs in another fresh temporary directory,
from the same global generator states as the example started with.  Whenever
no cell is stale, the namespace, the final state of both global generators and
the files of the directory must equal the fresh Run All's (a generator's
state only when some cell seeds it).

A draw from a global generator is generated only after a cell that seeds it
(a notebook that draws unseeded is not reproducible by Run All either); when
edits, moves or deletions leave a draw without a seed above it, the
comparison is skipped.

A documented limit (README, "Known limits") is not compared: the kernel
never deletes a file, so once a file an edited cell no longer writes was
left on disk (a cell may have read it then) the example is not compared.  Several seeding cells are
(inserted, moved, edited and deleted among the draws): a generator's final
state is compared whenever a cell on the page seeds it.  HYPOTHESIS_MAX_EXAMPLES and
HYPOTHESIS_STEPS size the run, as for the effect properties.
"""
from __future__ import annotations

import os
import random
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import event
from hypothesis.stateful import initialize

from tests.support.notebook_file import run_all
from tests.test_effect_properties import SETTINGS, EffectNotebook


SETUP = "import os\nimport random\nfrom pathlib import Path\nimport numpy as np\nimport pandas as pd"
#: the state both global generators start from, in the example and in its Run All
START = 2021

# name -> (names that must be bound before the cell, code template, names bound).
# ``@random`` and ``@np_random`` stand for a seeded global generator: never
# namespace names, they only order the families.
RESOURCE_FAMILIES: dict[str, tuple[tuple[str, ...], str, tuple[str, ...]]] = {
    "make_L": ((), "L = [{k}, 1, 2, 3]", ("L",)),
    # the global generator of random
    "seed_random": ((), "random.seed({k})", ("@random",)),
    "draw_random": (("@random",), "v = random.random()", ("v",)),
    "shuffle_random": (("@random", "L"), "random.shuffle(L)", ()),
    # the global generator of numpy.random
    "seed_np": ((), "np.random.seed({k})", ("@np_random",)),
    "draw_np": (("@np_random",), "a = np.random.rand(3)", ("a",)),
    # a generator held by a name (an ordinary mutable object)
    "make_rng": ((), "rng = np.random.default_rng({k})", ("rng",)),
    "draw_rng": (("rng",), "w = rng.random()", ("w",)),
    # a text file
    "write_f": ((), "open('f.txt', 'w').write(str({k}))", ()),
    "append_f": ((), "open('f.txt', 'a').write('x')", ()),
    "read_f": ((), "t = open('f.txt').read() if os.path.exists('f.txt') else ''", ("t",)),
    "remove_f": ((), "if os.path.exists('f.txt'):\n    os.remove('f.txt')\n", ()),
    # pathlib
    "write_g": ((), "Path('g.txt').write_text('g{k}')", ()),
    "read_g": ((), "u = Path('g.txt').read_text() if Path('g.txt').exists() else ''", ("u",)),
    # pandas
    "to_csv": ((), "pd.DataFrame({{'x': [{k}, 1]}}).to_csv('d.csv')", ()),
    "read_csv": ((), "df = pd.read_csv('d.csv') if os.path.exists('d.csv') else None", ("df",)),
    # a notebook function appending to the path it is given
    "def_log": ((), "def log(p, s):\n    with open(p, 'a') as fh:\n        fh.write(s)", ("log",)),
    "log_f": (("log",), "log('f.txt', 'y{k}')", ()),
    # a notebook class whose methods draw and append
    "def_sampler": ((), "class Sampler:\n    def draw(self):\n        return np.random.rand(2)", ("Sampler",)),
    "make_sampler": (("Sampler",), "sp = Sampler()", ("sp",)),
    "sampler_draw": (("sp", "@np_random"), "c = sp.draw()", ("c",)),
    "def_logger": ((), "class Logger:\n    def add(self, s):\n        with open('f.txt', 'a') as fh:\n"
                       "            fh.write(s)", ("Logger",)),
    "logger_add": (("Logger",), "Logger().add('z{k}')", ()),
    # a listing of the working directory
    "list_txt": ((), "names = sorted(n for n in os.listdir('.') if n.endswith('.txt'))", ("names",)),
}
#: how the families write a file (an append too: one no cell creates the file
#: for leaves it behind once edited away)
WRITES = ("open('f.txt', 'w')", "open('f.txt', 'a')", "log('f.txt'", "Logger().add(", "Path('g.txt').write_text",
          ".to_csv('d.csv')")
#: how the families append to f.txt
APPENDS = ("open('f.txt', 'a')", "log('f.txt'", "Logger().add(")
#: how the families draw from each global generator
DRAWS = {"@random": ("random.random()", "random.shuffle("), "@np_random": ("np.random.rand(", "sp.draw()")}


def generator_states() -> tuple:
    """Both global generators' states, comparable with ``==``."""
    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    return random.getstate(), (kind, keys.tobytes(), pos, has_gauss, gauss)


def seed_start() -> None:
    random.seed(START)
    np.random.seed(START)


def files(folder: str) -> dict[str, bytes]:
    root = Path(folder)
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


class ResourceNotebook(EffectNotebook):
    families = RESOURCE_FAMILIES

    def __init__(self):
        super().__init__()
        self.home = os.getcwd()
        self.workdir = tempfile.TemporaryDirectory()
        os.chdir(self.workdir.name)
        seed_start()
        #: (cell, write) pairs of the session
        self.wrote: set[tuple[str, str]] = set()
        #: a file was left behind at some request: a cell may have read it
        #: then and kept what it read, even once a cell writes it again
        self.was_left_behind = False

    def teardown(self):
        os.chdir(self.home)
        self.workdir.cleanup()
        super().teardown()

    def request(self, cell_id: str, code: str):
        self.was_left_behind |= self.left_behind()
        self.wrote.update((cell_id, w) for w in WRITES if w in code)
        return super().request(cell_id, code)

    def left_behind(self) -> bool:
        """A cell that wrote a file was deleted or no longer writes it: the
        file stays on disk (the kernel never deletes files)."""
        return any(cell_id not in self.code or write not in self.code[cell_id] for cell_id, write in self.wrote)

    @initialize()
    def setup_cell(self):
        self.order.append("c0")
        self.code["c0"] = SETUP
        self.binds["c0"] = ("os", "random", "Path", "np", "pd")
        self.request("c0", SETUP)

    def fresh_run_all(self, cells: list[tuple[str, str]]):
        """Run All in a fresh directory from the starting generator states;
        the example's directory and generator states are put back after."""
        mine = generator_states()
        self.expected_files = self.expected_states = None
        with tempfile.TemporaryDirectory() as fresh:
            os.chdir(fresh)
            seed_start()
            try:
                namespace, error = run_all(cells)
                self.expected_files, self.expected_states = files(fresh), generator_states()
            finally:
                os.chdir(self.workdir.name)
                random.setstate(mine[0])
                kind, keys, pos, has_gauss, gauss = mine[1]
                np.random.set_state((kind, np.frombuffer(keys, dtype=np.uint32), pos, has_gauss, gauss))
        if error is None and not self.seeded_draws():
            return namespace, "a draw from a global generator with no seed above it"
        if error is None and not self.created_before_appends():
            return namespace, "an append to a file no cell above creates (it cannot be rebuilt)"
        if error is None and (self.was_left_behind or self.left_behind()
                              or set(files(self.workdir.name)) - set(self.expected_files)):
            return namespace, "a file no cell writes now is still on disk (the kernel never deletes files)"
        return namespace, error

    def seeded_draws(self) -> bool:
        """Every draw from a global generator has a cell seeding it above."""
        seen: set[str] = set()
        for cell_id in self.order:
            code = self.code[cell_id]
            if any(g not in seen and any(d in code for d in draws) for g, draws in DRAWS.items()):
                return False
            seen.update(self.binds[cell_id])
        return True

    def created_before_appends(self) -> bool:
        """Every append has a cell writing the file anew above it: with none,
        the file comes from outside the notebook and a rerun appends again
        (README, "Known limits")."""
        written = False
        for cell_id in self.order:
            code = self.code[cell_id]
            if any(append in code for append in APPENDS) and not written:
                return False
            written |= "open('f.txt', 'w')" in code
        return True

    def compare_outside(self) -> None:
        """A generator's state is compared when a cell seeds it (else Run
        All leaves it where the kernel started, which a session that seeded
        it once cannot get back to)."""
        seeders = [g for c in self.order for g in self.binds[c] if g.startswith("@")]
        for generator, got, want in zip(("@random", "@np_random"), generator_states(), self.expected_states):
            if generator in seeders:
                assert got == want, f"global generator {generator[1:]} differs from run-all\ncells: {self.cells()}"
        got = files(self.workdir.name)
        if got != self.expected_files:  # (left-behind files are skipped in fresh_run_all)
            event("files differ")
            raise AssertionError(f"files differ from run-all: {got} != {self.expected_files}\n"
                                 f"cells: {self.cells()}")


ResourceNotebook.TestCase.settings = SETTINGS
TestResources = ResourceNotebook.TestCase
