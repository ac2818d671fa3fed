"""Rotation of the app's database user: the construct (`infrastructure`) beside the function's
code (`runtime`, which imports neither the CDK nor the rest of the repository)."""
