"""The project's HTTP plumbing for every API app: pagination, parsers, renderers, throttles,
permissions, list filters, errors, conditional requests and schema generation.

Nothing here knows the domain; `agreements.api` builds on it, never the reverse.
"""
