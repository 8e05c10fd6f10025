"""The issue folder: issue.toml, articles, photos and ads, read and validated."""
