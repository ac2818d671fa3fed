"""The rotation function's code: bundled on its own with pg8000, so imports stay relative."""
