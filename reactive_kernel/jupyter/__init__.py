"""The adapter between Jupyter's messages and the engine: the kernel class,
its IPython shell, displays, ipykernel internals, request metadata, the
companion comm, widgets, magics and the kernelspec installer."""
