"""arsheets: gets small businesses paid from the bookkeeper's own Excel workbook."""

__version__ = "0.1.0"
