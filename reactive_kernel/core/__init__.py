"""The reactive engine: the dependency graph, effects decided at run time,
plans, the walk of a plan and what it reports.  No Jupyter and no prose:
tested in process with plain ``exec``."""
