"""After the build: issue metadata, the back-issue catalogue, stamped copies."""
