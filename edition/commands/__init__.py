"""One module per command of the CLI; each returns data, none prints."""
