"""``python -m reactive_kernel -f CONNECTION_FILE`` starts the kernel;
``python -m reactive_kernel install [...]`` installs its kernelspec."""
import sys


def main() -> None:
    if sys.argv[1:2] == ["install"]:
        from .jupyter.install import main as install_main

        install_main(sys.argv[2:])
        return
    from ipykernel.kernelapp import IPKernelApp

    from .core.secrets import mask_log
    from .jupyter.kernel import ReactiveKernel

    # IPKernelApp.launch_instance, with the log masked before the kernel runs
    # (its log lines quote cells and exceptions: no password goes to a log file)
    app = IPKernelApp.instance(kernel_class=ReactiveKernel)
    app.initialize()
    mask_log(app.log)
    app.start()


if __name__ == "__main__":
    main()
