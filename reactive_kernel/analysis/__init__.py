"""What a cell's code says, before it runs: the names it reads and binds,
the effects it may have, its ``%%`` directives, and whether it can bind
names it does not name.  Pure functions over text and ``ast``."""
