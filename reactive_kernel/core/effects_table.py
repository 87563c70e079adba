"""What the kernel knows about libraries: which calls change their objects.

Pure data, in the spirit of typeshed: extend it here, nowhere else.  Types are
named as ``f"{cls.__module__}.{cls.__qualname__}"`` and matched along the
receiver's MRO, so subclasses inherit their base's entry.

A type's entry says either which methods never change the object
(``non_mutating``: every other method does) or, for libraries whose methods
return new objects by design (numpy, pandas, scikit-learn), which methods do
(``mutating``: every other method does not).  A method called with
``inplace=True`` always mutates.
"""
from __future__ import annotations

from ..analysis.scopes import INPLACE_METHODS

#: what ``x += y`` and its kin call (the language's list, kept with the
#: analysis that finds them): numpy and pandas change the object in place
INPLACE_OPERATORS = frozenset(INPLACE_METHODS.values())

#: Values that never change in place: method calls on them are never mutations.
IMMUTABLE_TYPES = frozenset({
    "builtins.str", "builtins.bytes", "builtins.int", "builtins.float", "builtins.complex",
    "builtins.bool", "builtins.tuple", "builtins.frozenset", "builtins.range",
    "builtins.NoneType", "builtins.type", "builtins.function", "builtins.builtin_function_or_method",
    "builtins.ellipsis", "builtins.NotImplementedType", "builtins.code", "builtins.slice",
    "builtins.method", "builtins.method_descriptor",
    "decimal.Decimal", "fractions.Fraction", "datetime.date", "datetime.datetime",
    "datetime.time", "datetime.timedelta", "pathlib.PurePath", "re.Pattern", "re.Match",
    "numpy.generic", "numpy.dtype", "pandas._libs.tslibs.timestamps.Timestamp",
    "pandas._libs.tslibs.timedeltas.Timedelta", "pandas._libs.tslibs.period.Period",
})

#: Immutable types whose equal instances no reader can tell apart (compared
#: by ``==``, and by ``repr`` where equal ones can print differently:
#: ``Decimal('1.0')``, ``-0.0``, time zones).  A cell that binds an equal one
#: again changed nothing for its readers (``data_dir = Path.cwd() / 'data'``
#: run again).  Builtins count exactly; a library's subclass counts when its
#: instances carry no ``__dict__`` (``PosixPath``, ``numpy.float64``); tuples
#: and frozensets when everything in them does (``values.is_value``).
VALUE_TYPES = frozenset({
    "builtins.str", "builtins.bytes", "builtins.int", "builtins.float", "builtins.complex",
    "builtins.bool", "builtins.NoneType", "builtins.range", "builtins.tuple", "builtins.frozenset",
    "decimal.Decimal", "fractions.Fraction", "datetime.date", "datetime.datetime",
    "datetime.time", "datetime.timedelta", "datetime.timezone", "pathlib.PurePath", "re.Pattern",
    "numpy.bool", "numpy.bool_", "numpy.number", "numpy.datetime64", "numpy.timedelta64",
    "numpy.str_", "numpy.bytes_",
    "pandas._libs.tslibs.timestamps.Timestamp", "pandas._libs.tslibs.timedeltas.Timedelta",
    "pandas._libs.tslibs.period.Period",
})

#: Types (exactly these, not subclasses: a ``str`` subclass has a ``__dict__``)
#: whose instances refuse every item and attribute store or deletion:
#: ``s[0] = 'x'`` on a str raises and writes nothing, so it is no mutation.
STORE_REFUSING_TYPES = frozenset({
    "builtins.str", "builtins.bytes", "builtins.int", "builtins.float", "builtins.complex",
    "builtins.bool", "builtins.tuple", "builtins.frozenset", "builtins.range", "builtins.NoneType",
})

#: Callables that return a new object (a copy), never their argument: a
#: notebook function that rebinds its parameter to one (``cases =
#: dict(cases)``) and then changes it does not change the caller's object.
#: Methods are listed by name and count only on a type this table knows
#: (:data:`METHODS`): ``df.copy()``, ``arr.copy()``, ``d.copy()``.
FRESH_CALLS = frozenset({
    "builtins.dict", "builtins.list", "builtins.set", "builtins.sorted", "builtins.bytearray",
    "copy.copy", "copy.deepcopy", "numpy.array", "numpy.copy",
})
FRESH_METHODS = frozenset({"copy"})

_SEQUENCE_READS = {"count", "index", "copy", "__len__", "__contains__", "__getitem__", "__iter__"}
_SET_READS = {
    "copy", "difference", "intersection", "isdisjoint", "issubset", "issuperset",
    "symmetric_difference", "union", "__len__", "__contains__",
}
_DICT_READS = {"copy", "get", "items", "keys", "values", "fromkeys", "__len__", "__contains__", "__getitem__"}

#: the two kinds of a type's entry in :data:`METHODS`
NON_MUTATING, MUTATING = "non_mutating", "mutating"

#: type name -> {"non_mutating": methods} or {"mutating": methods}
METHODS: dict[str, dict[str, frozenset]] = {
    "builtins.list": {NON_MUTATING: frozenset(_SEQUENCE_READS)},
    "builtins.dict": {NON_MUTATING: frozenset(_DICT_READS)},
    "builtins.set": {NON_MUTATING: frozenset(_SET_READS)},
    "builtins.bytearray": {NON_MUTATING: frozenset(_SEQUENCE_READS | {
        "decode", "hex", "startswith", "endswith", "find", "rfind", "split", "strip", "upper",
        "lower", "replace", "join", "isalnum", "isalpha", "isdigit", "isspace"})},
    "collections.deque": {NON_MUTATING: frozenset(_SEQUENCE_READS)},
    # read-only views of a dict: no method changes them (or the dict)
    "builtins.mappingproxy": {MUTATING: frozenset()},
    "builtins.dict_keys": {MUTATING: frozenset()},
    "builtins.dict_values": {MUTATING: frozenset()},
    "builtins.dict_items": {MUTATING: frozenset()},
    "collections.Counter": {NON_MUTATING: frozenset(_DICT_READS | {"most_common", "elements", "total"})},
    "collections.OrderedDict": {NON_MUTATING: frozenset(_DICT_READS)},
    "collections.defaultdict": {NON_MUTATING: frozenset(_DICT_READS - {"__getitem__"})},
    "numpy.ndarray": {MUTATING: frozenset({
        "fill", "sort", "resize", "put", "itemset", "partition", "setfield", "setflags",
        "__setitem__", *INPLACE_OPERATORS})},
    "pandas.core.generic.NDFrame": {MUTATING: frozenset({
        "insert", "pop", "update", "__setitem__", "__delitem__", "set_flags", *INPLACE_OPERATORS})},
    "pandas.core.indexes.base.Index": {MUTATING: frozenset()},
    "pandas.core.groupby.groupby.GroupBy": {MUTATING: frozenset()},
    "pandas.core.window.rolling.BaseWindow": {MUTATING: frozenset()},
    "pandas.core.resample.Resampler": {MUTATING: frozenset()},
    "sklearn.base.BaseEstimator": {MUTATING: frozenset({
        "fit", "fit_transform", "fit_predict", "partial_fit", "set_params", "set_output"})},
    "statsmodels.base.model.Model": {MUTATING: frozenset()},
    "statsmodels.base.model.Results": {MUTATING: frozenset({"remove_data"})},
    "statsmodels.base.wrapper.ResultsWrapper": {MUTATING: frozenset({"remove_data"})},
    # managers of work done elsewhere: asking them, or handing them work,
    # leaves the object a later cell sees as it was (issue 21)
    "IPython.lib.backgroundjobs.BackgroundJobManager": {MUTATING: frozenset({
        "new", "remove", "flush", "__call__"})},
    "distributed.client.Client": {MUTATING: frozenset({
        "close", "shutdown", "restart", "upload_file", "register_plugin", "register_worker_plugin",
        "unregister_worker_plugin", "set_metadata", "run_on_scheduler"})},
    "pyspark.sql.session.SparkSession": {MUTATING: frozenset({"stop", "newSession"})},
    "concurrent.futures._base.Executor": {MUTATING: frozenset({"shutdown"})},
    # logging a line changes no logger; configuring one does
    "logging.Logger": {MUTATING: frozenset({
        "addHandler", "removeHandler", "addFilter", "removeFilter", "setLevel"})},
    "logging.LoggerAdapter": {MUTATING: frozenset({"setLevel"})},
    "logging.Handler": {MUTATING: frozenset({
        "setLevel", "setFormatter", "addFilter", "removeFilter", "close", "flush", "acquire", "release"})},
    # results and distributions that methods only read
    "statistics.NormalDist": {MUTATING: frozenset()},
    "statsmodels.stats.base.HolderTuple": {MUTATING: frozenset()},
    "statsmodels.stats.nonparametric.RankCompareResult": {MUTATING: frozenset()},
    "multiprocessing.pool.Pool": {MUTATING: frozenset({"close", "terminate", "join"})},
    "networkx.classes.graph.Graph": {MUTATING: frozenset({
        "add_node", "add_nodes_from", "add_edge", "add_edges_from", "add_weighted_edges_from",
        "remove_node", "remove_nodes_from", "remove_edge", "remove_edges_from", "update",
        "clear", "clear_edges"})},
}

#: Methods that change their object on the types above; used for a receiver
#: reached through a chain (``box[0].append(x)``), whose type is not looked up.
CHAINED_MUTATORS = frozenset({
    "append", "extend", "insert", "pop", "popitem", "remove", "clear", "sort", "reverse",
    "update", "add", "discard", "setdefault", "appendleft", "extendleft", "popleft", "rotate",
    "fill", "resize", "put", "itemset", "partition", "set_flags", "fit", "fit_transform",
    "partial_fit", "set_params", "add_node", "add_edge", "add_nodes_from", "add_edges_from",
    "remove_node", "remove_edge",
})

#: Library functions that change an argument: callee -> argument positions or
#: keywords.  Callees are named by their module path as written through a
#: module (``np.random.shuffle`` -> ``numpy.random.shuffle``) or, for a name
#: imported directly, by the function's own ``__module__`` and ``__qualname__``.
ARGUMENT_MUTATORS: dict[str, frozenset] = {
    "builtins.next": frozenset({0}),
    "random.shuffle": frozenset({0, "x"}),
    "random.Random.shuffle": frozenset({0, "x"}),
    "numpy.random.shuffle": frozenset({0, "x"}),
    "numpy.random.mtrand.RandomState.shuffle": frozenset({0, "x"}),
    "numpy.random._generator.Generator.shuffle": frozenset({0, "x"}),
    "numpy.copyto": frozenset({0, "dst"}),
    "numpy.put": frozenset({0, "a"}),
    "numpy.place": frozenset({0, "arr"}),
    "numpy.putmask": frozenset({0, "a"}),
    "numpy.fill_diagonal": frozenset({0, "a"}),
    "heapq.heappush": frozenset({0}),
    "heapq.heappop": frozenset({0}),
    "heapq.heapify": frozenset({0}),
    "heapq.heapreplace": frozenset({0}),
    "heapq.heappushpop": frozenset({0}),
    "bisect.insort": frozenset({0}),
    "bisect.insort_left": frozenset({0}),
    "bisect.insort_right": frozenset({0}),
    "operator.setitem": frozenset({0}),
    "operator.delitem": frozenset({0}),
    "operator.iadd": frozenset({0}),
    "builtins.setattr": frozenset({0}),
    "builtins.delattr": frozenset({0}),
}

#: Keyword arguments that receive a function's result in place, for any callee.
OUTPUT_KEYWORDS = frozenset({"out"})


# -- state outside the namespace: random generators and files -------------------
# A call that touches them makes a cell a reader or writer of a graph name
# that is not an identifier (``random:numpy``, ``file:data.csv``), decided by
# ``core.resources``.  Callables are named by the dotted path they are
# imported by; the table is matched by identity against what a cell calls,
# so every spelling of the import (``pd.read_csv``, ``from pandas import
# read_csv``) is one entry.

#: global random generators: name -> (module, attribute) of the instance
#: whose state the module's functions use
GLOBAL_GENERATORS = {
    "random": ("random", "_inst"),
    "numpy": ("numpy.random.mtrand", "_rand"),
}
#: methods of a global generator that replace its state (without reading
#: it) or only read it; every other method draws: it reads and changes it
GENERATOR_SEEDS = frozenset({"seed", "setstate", "set_state"})
GENERATOR_READS = frozenset({"getstate", "get_state"})

#: the kinds of what a call does to its generator or file
SEED, DRAW, READ, WRITE, APPEND, DELETE = "seed", "draw", "read", "write", "append", "delete"

#: functions that seed, read or draw from a global generator without being
#: its bound methods: callee -> (generator, kind, keyword whose value, when
#: given and not None, gives the call its own generator instead)
RANDOM_FUNCTIONS: dict[str, tuple[str, str, str | None]] = {
    "numpy.random.seed": ("numpy", SEED, None),
    "numpy.random.set_state": ("numpy", SEED, None),
    "numpy.random.get_state": ("numpy", READ, None),
    "sklearn.model_selection.train_test_split": ("numpy", DRAW, "random_state"),
    "sklearn.utils.shuffle": ("numpy", DRAW, "random_state"),
    "sklearn.utils.resample": ("numpy", DRAW, "random_state"),
    "sklearn.datasets.make_classification": ("numpy", DRAW, "random_state"),
    "sklearn.datasets.make_regression": ("numpy", DRAW, "random_state"),
    "sklearn.datasets.make_blobs": ("numpy", DRAW, "random_state"),
    "sklearn.datasets.make_moons": ("numpy", DRAW, "random_state"),
    "sklearn.datasets.make_circles": ("numpy", DRAW, "random_state"),
    "networkx.random_layout": ("numpy", DRAW, "seed"),
    "networkx.spring_layout": ("numpy", DRAW, "seed"),
}
#: where a method finds its own generator, if it has one
ATTRIBUTE, KEYWORD = "attribute", "keyword"
#: methods that draw from numpy's global generator unless the object's
#: attribute (ATTRIBUTE: present and None draws, absent does not) or the
#: call's keyword (KEYWORD: not given, or None, draws) of this name gives
#: one: type -> (methods, name, where)
RANDOM_METHODS: dict[str, tuple[frozenset, str, str]] = {
    "sklearn.base.BaseEstimator": (frozenset({"fit", "fit_transform", "fit_predict", "partial_fit"}),
                                   "random_state", ATTRIBUTE),
    "sklearn.model_selection._split.BaseCrossValidator": (frozenset({"split"}), "random_state", ATTRIBUTE),
    "sklearn.model_selection._split._BaseKFold": (frozenset({"split"}), "random_state", ATTRIBUTE),
    "pandas.core.generic.NDFrame": (frozenset({"sample"}), "random_state", KEYWORD),
}

#: what a file access says: (kind, position, keyword) of its path argument;
#: position "self" is the receiver (a ``Path``); a kind None is the mode
#: argument's to decide (``open``: position 1 or keyword ``mode``, default
#: "r"), or, with a fourth element (position, keyword, default), that one's
FILE_FUNCTIONS: dict[str, tuple[tuple[str | None, int, str], ...]] = {
    "builtins.open": ((None, 0, "file"),),
    "io.open": ((None, 0, "file"),),
    # a file moved or removed must be there: its maker runs first on a rerun
    "os.remove": ((READ, 0, "path"), (DELETE, 0, "path")),
    "os.unlink": ((READ, 0, "path"), (DELETE, 0, "path")),
    "os.rmdir": ((DELETE, 0, "path"),),
    "os.mkdir": ((WRITE, 0, "path"),),
    "os.makedirs": ((WRITE, 0, "name"),),
    "os.rename": ((READ, 0, "src"), (DELETE, 0, "src"), (WRITE, 1, "dst")),
    "os.replace": ((READ, 0, "src"), (DELETE, 0, "src"), (WRITE, 1, "dst")),
    "os.listdir": ((READ, 0, "path"),),
    "os.scandir": ((READ, 0, "path"),),
    "os.path.exists": ((READ, 0, "path"),),
    "os.path.isfile": ((READ, 0, "path"),),
    "os.path.isdir": ((READ, 0, "s"),),
    "os.path.getsize": ((READ, 0, "filename"),),
    "shutil.copy": ((READ, 0, "src"), (WRITE, 1, "dst")),
    "shutil.copy2": ((READ, 0, "src"), (WRITE, 1, "dst")),
    "shutil.copyfile": ((READ, 0, "src"), (WRITE, 1, "dst")),
    "shutil.copytree": ((READ, 0, "src"), (WRITE, 1, "dst")),
    "shutil.move": ((READ, 0, "src"), (DELETE, 0, "src"), (WRITE, 1, "dst")),
    "shutil.rmtree": ((DELETE, 0, "path"),),
    "glob.glob": ((READ, 0, "pathname"),),
    "numpy.load": ((READ, 0, "file"),),
    "numpy.loadtxt": ((READ, 0, "fname"),),
    "numpy.genfromtxt": ((READ, 0, "fname"),),
    "numpy.fromfile": ((READ, 0, "file"),),
    "numpy.save": ((WRITE, 0, "file"),),
    "numpy.savez": ((WRITE, 0, "file"),),
    "numpy.savez_compressed": ((WRITE, 0, "file"),),
    "numpy.savetxt": ((WRITE, 0, "fname"),),
    "pandas.read_csv": ((READ, 0, "filepath_or_buffer"),),
    "pandas.read_table": ((READ, 0, "filepath_or_buffer"),),
    "pandas.read_json": ((READ, 0, "path_or_buf"),),
    "pandas.read_excel": ((READ, 0, "io"),),
    "pandas.read_parquet": ((READ, 0, "path"),),
    "pandas.read_feather": ((READ, 0, "path"),),
    "pandas.read_pickle": ((READ, 0, "filepath_or_buffer"),),
    "pandas.read_hdf": ((READ, 0, "path_or_buf"),),
    "pandas.read_fwf": ((READ, 0, "filepath_or_buffer"),),
    "matplotlib.pyplot.savefig": ((WRITE, 0, "fname"),),
    "matplotlib.pyplot.imread": ((READ, 0, "fname"),),
    "joblib.dump": ((WRITE, 1, "filename"),),
    "joblib.load": ((READ, 0, "filename"),),
}
#: methods that access a file: type -> method -> accesses, as in FILE_FUNCTIONS
FILE_METHODS: dict[str, dict[str, tuple[tuple[str | None, int | str, str], ...]]] = {
    "pathlib.Path": {
        "write_text": ((WRITE, "self", ""),), "write_bytes": ((WRITE, "self", ""),),
        "read_text": ((READ, "self", ""),), "read_bytes": ((READ, "self", ""),),
        "open": ((None, "self", ""),), "touch": ((WRITE, "self", ""),),
        "mkdir": ((WRITE, "self", ""),), "unlink": ((DELETE, "self", ""),),
        "rmdir": ((DELETE, "self", ""),), "exists": ((READ, "self", ""),),
        "is_file": ((READ, "self", ""),), "is_dir": ((READ, "self", ""),),
        "iterdir": ((READ, "self", ""),), "glob": ((READ, "self", ""),),
        "rglob": ((READ, "self", ""),), "stat": ((READ, "self", ""),),
        "rename": ((READ, "self", ""), (DELETE, "self", ""), (WRITE, 0, "target")),
        "replace": ((READ, "self", ""), (DELETE, "self", ""), (WRITE, 0, "target")),
    },
    "pandas.core.generic.NDFrame": {
        "to_csv": ((None, 0, "path_or_buf", (-1, "mode", "w")),),
        "to_json": ((None, 0, "path_or_buf", (-1, "mode", "w")),),
        "to_excel": ((WRITE, 0, "excel_writer"),), "to_pickle": ((WRITE, 0, "path"),),
        "to_hdf": ((WRITE, 0, "path_or_buf"),),
    },
    "pandas.core.frame.DataFrame": {
        "to_parquet": ((WRITE, 0, "path"),), "to_feather": ((WRITE, 0, "path"),),
    },
    "numpy.ndarray": {"tofile": ((WRITE, 0, "fid"),), "dump": ((WRITE, 0, "file"),)},
    "matplotlib.figure.Figure": {"savefig": ((WRITE, 0, "fname"),)},
}
#: ``open`` modes: a mode with one of these letters does what it says
#: ('+' with 'r' reads and changes the file in place)
FILE_MODES = (("w", WRITE), ("x", WRITE), ("a", APPEND), ("+", APPEND))


# -- effects the engine cannot see: what the cell cache never stores on its own ------
# A call of one of these makes a result depend on something outside the
# notebook that no key covers (the network, the clock, a random id, a
# person's answer, another program), so ``%reactive cache auto`` does not
# store the cell (a cell opted in with ``%%cache`` is its author's call).
# Matched by identity against what a cell calls, as the tables above are:
# callable -> what it depends on.  Methods are listed by type, along the MRO.

UNSEEN_FUNCTIONS: dict[str, str] = {
    # the network
    "urllib.request.urlopen": "the network",
    "urllib.request.urlretrieve": "the network",
    "http.client.HTTPConnection": "the network",
    "http.client.HTTPSConnection": "the network",
    "socket.socket": "the network",
    "socket.create_connection": "the network",
    "socket.getaddrinfo": "the network",
    "requests.get": "the network", "requests.post": "the network", "requests.put": "the network",
    "requests.patch": "the network", "requests.delete": "the network", "requests.head": "the network",
    "requests.request": "the network", "requests.Session": "the network",
    "httpx.get": "the network", "httpx.post": "the network", "httpx.request": "the network",
    "httpx.Client": "the network", "httpx.AsyncClient": "the network",
    "aiohttp.ClientSession": "the network",
    "smtplib.SMTP": "the network", "ftplib.FTP": "the network",
    "pandas.read_html": "the network",
    # the clock
    "time.time": "the clock", "time.time_ns": "the clock", "time.localtime": "the clock",
    "time.gmtime": "the clock", "time.ctime": "the clock", "time.strftime": "the clock",
    "time.monotonic": "the clock", "time.perf_counter": "the clock",
    "datetime.datetime.now": "the clock", "datetime.datetime.today": "the clock",
    "datetime.datetime.utcnow": "the clock", "datetime.date.today": "the clock",
    "pandas.Timestamp.now": "the clock", "pandas.Timestamp.today": "the clock",
    "numpy.datetime64": "the clock",
    # ids and entropy no generator state covers
    "uuid.uuid1": "a random id", "uuid.uuid4": "a random id",
    "os.urandom": "the operating system's entropy", "secrets.token_bytes": "the operating system's entropy",
    "secrets.token_hex": "the operating system's entropy", "secrets.token_urlsafe": "the operating system's entropy",
    "secrets.choice": "the operating system's entropy", "secrets.randbelow": "the operating system's entropy",
    "random.SystemRandom": "the operating system's entropy",
    # a person
    "builtins.input": "a person's input", "getpass.getpass": "a person's input",
    # other programs and the machine
    "subprocess.run": "another program", "subprocess.call": "another program",
    "subprocess.check_call": "another program", "subprocess.check_output": "another program",
    "subprocess.Popen": "another program", "subprocess.getoutput": "another program",
    "subprocess.getstatusoutput": "another program",
    "os.system": "another program", "os.popen": "another program",
    "os.getpid": "the process", "os.environ.get": "the environment", "os.getenv": "the environment",
    "os.listdir": "the file system", "os.scandir": "the file system", "os.walk": "the file system",
    "glob.glob": "the file system",
}
#: methods, by receiver type: type -> {method: what it depends on}
UNSEEN_METHODS: dict[str, dict[str, str]] = {
    "requests.sessions.Session": {m: "the network" for m in ("get", "post", "put", "patch", "delete", "head",
                                                             "request", "send")},
    "httpx.Client": {m: "the network" for m in ("get", "post", "put", "patch", "delete", "head",
                                                "request", "send", "stream")},
    "socket.socket": {m: "the network" for m in ("connect", "recv", "send", "sendall", "accept")},
    "IPython.core.interactiveshell.InteractiveShell": {"system": "another program", "getoutput": "another program",
                                                       "system_piped": "another program",
                                                       "system_raw": "another program"},
}
