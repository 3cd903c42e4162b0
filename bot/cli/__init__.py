"""Entry points of `python -m bot`: each subcommand a module, all built through bootstrap."""
