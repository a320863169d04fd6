"""Build Anki decks from Markdown study notes."""

__version__ = "0.1.0"
