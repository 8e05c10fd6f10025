"""`edition serve`: the editor's desk in a browser, a live flatplan of one issue."""
