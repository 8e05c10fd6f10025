"""Photos prepared once for the size they are placed at: cropped, resampled, separated, cached."""
