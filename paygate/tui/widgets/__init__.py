"""One widget per file, grouped by the screen area that uses it."""
