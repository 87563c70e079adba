"""SQL cells: ``%%sql`` / ``%sql`` magics whose tables take part in the graph.

Usage::

    %%sql [-o NAME] [--engine SOURCE] [--drop] [--save NAME] [--with NAME]
    SELECT * FROM users WHERE signup >= {start}

    df = %sql [--engine SOURCE] SELECT * FROM {frame} WHERE n > :limit

* Without ``--engine`` statements run on an in-memory DuckDB database shared
  by the kernel session, which queries ``FROM {df}`` frames in place.
  ``--engine pg`` names a variable holding a SQLAlchemy Engine, Connection or
  URL string (a graph read of ``pg``); a URL literal works too.
* ``{name}`` and ``:name`` are graph reads sent as bound parameters.
* Tables are graph names ``table:<source>:<table>`` (:mod:`.tables`), DuckDB
  file reads ``file:<path>``, saved snippets ``snippet:<name>``.
* A clean rerun drops the tables the cell created on the embedded (or any
  in-memory) database; on an external one only with ``--drop``.

The user's guide is docs/sql.md.  Importing this package imports neither
DuckDB, SQLAlchemy, sqlglot nor pandas: they load with the first SQL cell.
"""
from .cells import SqlCells
from .connections import mask_url_text
from .errors import SqlError, SqlUsageError

__all__ = ["SqlCells", "SqlError", "SqlUsageError", "mask_url_text"]
