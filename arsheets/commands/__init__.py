"""Command-line commands that live outside arsheets.cli (registered there)."""
