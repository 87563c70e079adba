"""What a person reads about the notebook's cells: labels, states, marks,
summaries, ``%reactive``'s explanations and drawings.  Reads the engine,
never changes it; no Jupyter imports."""
