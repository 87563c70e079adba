"""What a value is and what it holds, read without running its code.

Every effect judgement starts from the object a name holds: whether it is a
module, immutable, an iterator, the notebook's own function or class, and
which objects it reaches.  User objects can run code on ``isinstance`` or
attribute access (``__class__``, ``__getattr__``), so types are read from
``type(value)`` and attributes from ``__dict__``, and a value that cannot be
inspected counts as mutable.
"""
from __future__ import annotations

from ..pristine import BUILTINS as __builtins__  # noqa: F401  (see pristine.py)

import collections.abc
import sys
import types
from typing import Any, Mapping

from . import effects_table as table
from .namespace import MISSING

#: how many elements of a container a look at its contents takes
_CONTAINER_ELEMENTS = 64
#: containers whose elements are the objects they hold (a dict's are its values)
_COLLECTIONS = (list, tuple, set, frozenset, collections.deque)


class Types(tuple):
    """Types compared by identity: ``type(v) in SCALARS`` must not run a
    user metaclass's ``__eq__`` or ``__hash__`` (they may raise)."""

    def __contains__(self, cls) -> bool:
        return any(cls is t for t in self)


#: values that hold nothing and that nothing can mutate
SCALARS = Types((int, float, complex, str, bytes, bool, type(None)))


def kind_of(value: Any, types_: type | tuple) -> bool:
    """``isinstance`` by the real type only: user objects can make
    ``isinstance`` run their code (``__class__`` through ``__getattribute__``)."""
    return issubclass(type(value), types_)


def type_name(cls: type) -> str:
    try:
        return f"{cls.__module__}.{cls.__qualname__}"
    except Exception:  # a hostile metaclass
        return "?"


def mro_names(value: Any) -> list[str]:
    try:
        return [type_name(c) for c in type(value).__mro__]
    except Exception:
        return []


class _ModuleSlots:
    """The objects ``sys.modules`` holds that are not modules (``sys.modules['m']
    = Obj()``; libraries such as ``sh`` replace themselves so), by identity,
    rescanned when ``sys.modules`` grows or shrinks: a cell meets them through
    ``import``, as modules, and ipykernel users call them as modules."""

    def __init__(self) -> None:
        self._size = -1
        self._keys: dict[int, str] = {}

    def hold(self, value: Any) -> bool:
        modules = sys.modules
        if len(modules) != self._size:
            self._size = len(modules)
            self._keys = {id(v): k for k, v in list(modules.items())
                          if v is not None and not kind_of(v, types.ModuleType)}  # None blocks an import
        key = self._keys.get(id(value))
        return key is not None and modules.get(key) is value


_module_slots = _ModuleSlots()


def is_module(value: Any) -> bool:
    """A module, or an object standing in a module's slot.  Their state is
    not a value the rules follow: calling them is never a mutation."""
    return kind_of(value, types.ModuleType) or _module_slots.hold(value)


def is_immutable(value: Any) -> bool:
    if value is None or kind_of(value, types.ModuleType):
        return True
    return any(name in table.IMMUTABLE_TYPES for name in mro_names(value)) or _module_slots.hold(value)


def is_value(value: Any, depth: int = 0) -> bool:
    """Immutable, and equal to another only where no reader can tell them
    apart (:data:`effects_table.VALUE_TYPES`): safe to hold and compare."""
    cls = type(value)
    name = type_name(cls)
    if name in table.VALUE_TYPES:
        if cls is tuple or cls is frozenset:
            return depth < 3 and len(value) <= _CONTAINER_ELEMENTS and all(is_value(v, depth + 1) for v in value)
        return True
    if not any(n in table.VALUE_TYPES and not n.startswith("builtins.") for n in mro_names(value)[1:]):
        return False
    try:  # a library's subclass (PosixPath, numpy.float64), not the notebook's
        return cls.__module__ != "__main__" and not getattr(value, "__dict__", None)
    except Exception:
        return False


def same_value(old: Any, new: Any) -> bool:
    """Two values (:func:`is_value`) no reader can tell apart."""
    if type(old) is not type(new) or not is_value(old) or not is_value(new):
        return False
    try:
        if not old == new:
            return False
        return type(old) in _PRINTED_ALIKE or repr(old) == repr(new)
    except Exception:
        return False


#: types whose equal instances also print alike (``0.0 == -0.0`` does not)
_PRINTED_ALIKE = Types((str, bytes, int, bool, type(None)))


def is_iterator(value: Any) -> bool:
    """By the type alone (``isinstance`` asks the object for ``__class__``);
    a type that cannot be asked (a hostile metaclass) may be one."""
    try:
        return issubclass(type(value), collections.abc.Iterator)
    except Exception:
        return True


def is_ndarray(value: Any) -> bool:
    return "numpy.ndarray" in mro_names(value)


def defined_here(value: Any, namespace: Mapping) -> bool:
    """Whether a function or class was defined by the notebook's own cells."""
    try:
        if kind_of(value, types.FunctionType):
            return value.__globals__ is namespace
        if kind_of(value, type):
            return value.__module__ == namespace.get("__name__", "builtins")
    except Exception:
        pass
    return False


def notebook_class(value: Any, namespace: Mapping) -> str | None:
    """The name of the notebook class ``value`` is an instance of, if any."""
    cls = type(value)
    if not kind_of(value, type) and defined_here(cls, namespace):
        try:
            return cls.__name__
        except Exception:
            return None
    return None


def from_library(value: Any, namespace: Mapping) -> bool:
    """A function or class that the notebook did not define."""
    if not kind_of(value, (types.FunctionType, types.BuiltinFunctionType, type)):
        return False
    return not defined_here(value, namespace)


def holds_class_state(value: Any, namespace: Mapping) -> bool:
    """A notebook class: immutable as a value (its name is what a cell
    binds), yet ``Cfg.debug = True`` or ``Registry.items.append(x)`` in a
    function or method changes what every cell reading it sees."""
    return kind_of(value, type) and defined_here(value, namespace)


def refuses_stores(value: Any) -> bool:
    """Whether every ``value[k] = v``, ``value.a = v`` and ``del value[k]``
    raises: the exact type is one the table names."""
    return value is not MISSING and type_name(type(value)) in table.STORE_REFUSING_TYPES


def value_function(value: Any) -> Any:
    """The function a bound method runs; other values as they are."""
    return value.__func__ if kind_of(value, types.MethodType) else value


def closure_of(value: Any, namespace: Mapping) -> dict[str, Any]:
    """What a notebook function's closure holds, by free variable name."""
    if not (kind_of(value, types.FunctionType) and defined_here(value, namespace)):
        return {}
    try:
        cells = value.__closure__ or ()
        held = {}
        for name, cell in zip(value.__code__.co_freevars, cells):
            try:
                held[name] = cell.cell_contents
            except ValueError:  # not bound yet
                pass
        return held
    except Exception:
        return {}


def instance_attribute(value: Any, name: str) -> Any:
    """What ``value``'s own ``__dict__`` holds under ``name`` (a function
    set on an instance is called without ``self``), read without running
    the object's code; MISSING if nothing."""
    if value is MISSING or kind_of(value, (type, types.ModuleType)):
        return MISSING
    try:
        attributes = object.__getattribute__(value, "__dict__")
        return attributes.get(name, MISSING) if kind_of(attributes, dict) else MISSING
    except Exception:
        return MISSING


def class_attribute(cls: type, name: str) -> Any:
    """``cls``'s attribute ``name`` as its class body (or a base's) bound it, raw."""
    try:
        for klass in cls.__mro__:
            attributes = klass.__dict__
            if name in attributes:
                return attributes[name]
    except Exception:
        pass
    return MISSING


#: class-level values that are state every instance shares (``items = {}``);
#: a framework's class-level bookkeeping (pydantic's ``model_fields``,
#: ``abc``'s ``_abc_impl``) is rarely changed through an instance
_SHARED_STATE = (list, dict, set, collections.deque, bytearray)


def shared_class_state(value: Any, namespace: Mapping) -> list[str]:
    """Names of the notebook classes whose class-level containers
    (``class Registry: items = {}``) ``value``, an instance, reaches without
    an instance attribute of the same name: a change through the instance
    (``r.items['b'] = 2``) may be a change of the class's state.  Read from
    the classes' ``__dict__``, never running the object's code; a bounded look."""
    if value is MISSING or kind_of(value, type) or notebook_class(value, namespace) is None:
        return []
    try:
        own = object.__getattribute__(value, "__dict__")
        own = own if kind_of(own, dict) else {}
    except Exception:
        own = {}
    names = []
    try:
        for klass in type(value).__mro__:
            if not defined_here(klass, namespace) or namespace.get(klass.__name__) is not klass:
                continue
            for count, (name, attribute) in enumerate(klass.__dict__.items()):
                if count >= _CONTAINER_ELEMENTS:
                    break
                if name.startswith("__") or name in own or not kind_of(attribute, _SHARED_STATE):
                    continue
                names.append(klass.__name__)
                break
    except Exception:
        pass
    return names


def contained(value: Any, namespace: Mapping) -> list[Any]:
    """``value`` and the objects it directly holds (a bounded look); for a
    numpy view, the array whose memory it shares; for an instance of a class
    ``namespace``'s cells define, its attributes (``self.d = df`` then
    ``self.d.drop(..., inplace=True)`` in a method changes ``df``)."""
    found = [value]
    try:
        if is_ndarray(value):
            base = value.base
            return found if base is None else [value, base]
        if kind_of(value, _COLLECTIONS):
            items = value
        elif kind_of(value, dict):
            items = value.values()
        elif notebook_class(value, namespace) is not None:
            attributes = object.__getattribute__(value, "__dict__")
            items = attributes.values() if kind_of(attributes, dict) else ()
        else:
            return found
        for count, item in enumerate(items):
            if count >= _CONTAINER_ELEMENTS:
                break
            found.append(item)
    except Exception:
        pass
    return found


def reachable(value: Any, depth: int = 3, limit: int = _CONTAINER_ELEMENTS) -> list[Any]:
    """Mutable objects ``value`` holds, through containers and instance
    attributes, a few levels deep (a pipeline holding a model in a list of
    tuples): a change to one of them is a change to ``value``."""
    found: list[Any] = []
    seen = {id(value)}
    level = [value]
    for _ in range(depth):
        following = []
        for holder in level:
            for item in _members(holder):
                if id(item) in seen or kind_of(item, (types.ModuleType, type, types.FunctionType)):
                    continue
                seen.add(id(item))
                if kind_of(item, tuple) or not is_immutable(item):
                    following.append(item)
                    if not kind_of(item, tuple):
                        found.append(item)
                if len(seen) > limit:
                    return found
        level = following
    return found


def _members(value: Any) -> list[Any]:
    try:
        if kind_of(value, _COLLECTIONS):
            return list(value)[:_CONTAINER_ELEMENTS]
        if kind_of(value, dict):
            return list(value.values())[:_CONTAINER_ELEMENTS]
        if is_ndarray(value) or kind_of(value, (types.ModuleType, type)):
            return []
        attributes = object.__getattribute__(value, "__dict__")
        if isinstance(attributes, dict):
            return list(attributes.values())[:_CONTAINER_ELEMENTS]
    except Exception:
        pass
    return []
