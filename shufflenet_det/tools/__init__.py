"""The code behind the command-line tools (``tools/*.py``, the console
scripts): running, reproducing, measuring. Not needed to use the models."""
