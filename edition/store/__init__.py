"""Where things are kept: outputs written atomically, locks, file stamps, paths."""
