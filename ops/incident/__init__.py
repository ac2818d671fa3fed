"""`ops incident`: the firing alarms, the read-only evidence gathered for each, and its reports.

Imports `ops.aws`, the resource modules and `ops.runbooks`; read-only AWS calls only.
"""
