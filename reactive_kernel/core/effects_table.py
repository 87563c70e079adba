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
        "__setitem__", "__iadd__", "__isub__", "__imul__", "__itruediv__"})},
    "pandas.core.generic.NDFrame": {MUTATING: frozenset({
        "insert", "pop", "update", "__setitem__", "__delitem__", "set_flags"})},
    "pandas.core.indexes.base.Index": {MUTATING: frozenset()},
    "pandas.core.groupby.groupby.GroupBy": {MUTATING: frozenset()},
    "pandas.core.window.rolling.BaseWindow": {MUTATING: frozenset()},
    "pandas.core.resample.Resampler": {MUTATING: frozenset()},
    "sklearn.base.BaseEstimator": {MUTATING: frozenset({
        "fit", "fit_transform", "fit_predict", "partial_fit", "set_params", "set_output"})},
    "statsmodels.base.model.Model": {MUTATING: frozenset()},
    "statsmodels.base.model.Results": {MUTATING: frozenset({"remove_data"})},
    "statsmodels.base.wrapper.ResultsWrapper": {MUTATING: frozenset({"remove_data"})},
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
