"""Runbooks: the `runbooks/*.md` library with its front matter, and rendering for a terminal.

Imports `stacks.contract` (the alarm catalog); no AWS access.
"""
