"""`python build.py [ARGS]` is `ankigen build [ARGS]`: the notes in seeds/ into dist/."""

from ankigen.cli import main

main(["build", *__import__("sys").argv[1:]])
